package all

import (
	"context"
	"testing"

	"meshdrop/core/keys"
	"meshdrop/core/provider"
	"meshdrop/core/provider/genx3d/genx3dtest"
	"meshdrop/core/settings"
)

// MESHDROP_GENX3D_URL reaches the genX3D adapter: the key test (balance)
// is answered by the loopback server it names.
func TestGenX3DEnvURLOverride(t *testing.T) {
	srv, key := genx3dtest.New()
	defer srv.Close()
	srv.SetLimit(10)
	t.Setenv(settings.EnvURL(provider.GenX3D), srv.BaseURL())
	reg, err := Registry(settings.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get(provider.GenX3D)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Balance(context.Background(), provider.Credential{Name: "k", Secret: keys.NewSecret(key)})
	if err != nil || b.Credits != 9 || srv.Hits("GET /keys") != 1 {
		t.Fatalf("balance %+v err %v, hits %d", b, err, srv.Hits("GET /keys"))
	}
}
