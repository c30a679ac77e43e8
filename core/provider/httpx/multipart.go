package httpx

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// FormField is a text part of a multipart body.
type FormField struct{ Name, Value string }

// FormFile is a file part of a multipart body.
type FormFile struct {
	Field    string // part name, e.g. "file" or "images"
	FileName string // sent as the part's filename (cleaned of quotes and paths)
	MIME     string // Content-Type of the part; default application/octet-stream
	Data     []byte
}

// Multipart builds a multipart/form-data body; put the results in
// Call.Body and Call.Type.
func Multipart(fields []FormField, files []FormFile) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return nil, "", fmt.Errorf("multipart field %s: %w", f.Name, err)
		}
	}
	for _, f := range files {
		h := make(textproto.MIMEHeader)
		name := cleanFileName(f.FileName)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(f.Field), quoteEscaper.Replace(name)))
		ct := f.MIME
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		pw, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", fmt.Errorf("multipart file %s: %w", f.Field, err)
		}
		if _, err := pw.Write(f.Data); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

func cleanFileName(n string) string {
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	if n == "" || n == "." || n == ".." {
		n = "upload"
	}
	return n
}
