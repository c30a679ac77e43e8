// Package assets embeds Meshdrop's icon and other files the binary carries.
// icon.svg is the source; icon.png is made from it with
// `rsvg-convert -w 512 -h 512 assets/icon.svg -o assets/icon.png`.
package assets

import _ "embed"

// IconPNG is the 512×512 application icon.
//
//go:embed icon.png
var IconPNG []byte

// IconSVG is the icon's vector source.
//
//go:embed icon.svg
var IconSVG []byte
