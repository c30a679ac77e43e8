package glb

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/webp"
)

// TestJPEGConversionMatchesStandardLibrary checks the split YCbCr→NRGBA
// conversion pixel by pixel against color.NRGBAModel, across both halves
// and an odd height.
func TestJPEGConversionMatchesStandardLibrary(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 37, 23))
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			src.SetNRGBA(x, y, color.NRGBA{uint8(x * 7), uint8(y * 11), uint8(x*y) ^ 0x55, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if sniffImage(buf.Bytes()) != formatJPEG {
		t.Fatal("JPEG not sniffed")
	}
	got, err := decodeImage(buf.Bytes(), formatJPEG)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			want := color.NRGBAModel.Convert(ref.At(x, y)).(color.NRGBA)
			if g := got.NRGBAAt(x, y); g != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, g, want)
			}
		}
	}
}

func TestSniffAndRejectImages(t *testing.T) {
	ktx2 := []byte("\xabKTX 20\xbb\r\n\x1a\n....")
	if sniffImage(ktx2) != formatKTX2 || sniffImage([]byte("RIFF\x00\x00\x00\x00WEBPVP8 ")) != formatWebP || sniffImage([]byte("GIF89a")) != formatUnknown {
		t.Error("sniffing is wrong")
	}
	// A PNG header declaring 60000×60000 pixels in a few bytes is refused
	// before any pixel memory is allocated.
	hdr := pngBytes(t, 1, 1, color.NRGBA{})
	hdr[16], hdr[17], hdr[18], hdr[19] = 0, 0, 0xEA, 0x60
	hdr[20], hdr[21], hdr[22], hdr[23] = 0, 0, 0xEA, 0x60
	binary.BigEndian.PutUint32(hdr[29:], crc32.ChecksumIEEE(hdr[12:29]))
	if cfg, err := png.DecodeConfig(bytes.NewReader(hdr)); err != nil || cfg.Width != 60000 {
		t.Fatalf("test PNG header is not valid: %v %v", cfg, err)
	}
	if _, err := decodeImage(hdr, formatPNG); err == nil {
		t.Error("giant PNG header accepted")
	}
	_ = webp.Decode // WebP decoding is exercised by the corpus (ferrari)
}
