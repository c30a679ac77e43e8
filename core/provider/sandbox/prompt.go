package sandbox

import (
	"strings"
	"unicode"
)

// Shape names the sandbox builds.
const (
	ShapeBox      = "box"
	ShapeSphere   = "sphere"
	ShapeCylinder = "cylinder"
	ShapeCone     = "cone"
	ShapeTorus    = "torus"
	ShapeCapsule  = "capsule"
	ShapePyramid  = "pyramid"
	ShapeBlob     = "blob" // when no shape word matches
)

// Material names the sandbox textures.
const (
	MatMatte   = "matte" // when no material word matches
	MatWood    = "wood"
	MatMetal   = "metal"
	MatStone   = "stone"
	MatMarble  = "marble"
	MatPlastic = "plastic"
	MatGlass   = "glass"
	MatRubber  = "rubber"
	MatClay    = "clay"
)

// maxItems caps how many shapes one prompt composes.
const maxItems = 4

var shapeWords = map[string]string{
	"cube": ShapeBox, "box": ShapeBox, "block": ShapeBox, "crate": ShapeBox, "brick": ShapeBox, "dice": ShapeBox, "die": ShapeBox,
	"sphere": ShapeSphere, "ball": ShapeSphere, "orb": ShapeSphere, "globe": ShapeSphere, "planet": ShapeSphere,
	"cylinder": ShapeCylinder, "can": ShapeCylinder, "tube": ShapeCylinder, "pillar": ShapeCylinder, "column": ShapeCylinder, "drum": ShapeCylinder,
	"cone": ShapeCone, "spike": ShapeCone,
	"torus": ShapeTorus, "ring": ShapeTorus, "donut": ShapeTorus, "doughnut": ShapeTorus, "bagel": ShapeTorus,
	"capsule": ShapeCapsule, "pill": ShapeCapsule,
	"pyramid": ShapePyramid,
}

// rgb is an sRGB colour, 0–255 per channel.
type rgb [3]uint8

var colourWords = map[string]rgb{
	"red": {200, 40, 35}, "green": {50, 160, 60}, "blue": {40, 90, 200}, "yellow": {235, 200, 40},
	"orange": {235, 120, 30}, "purple": {120, 60, 170}, "violet": {140, 80, 200}, "pink": {235, 130, 170},
	"white": {235, 235, 230}, "black": {25, 25, 28}, "grey": {128, 128, 128}, "gray": {128, 128, 128},
	"brown": {120, 75, 40}, "gold": {212, 175, 55}, "golden": {212, 175, 55}, "silver": {192, 192, 198},
	"cyan": {40, 190, 210}, "teal": {30, 130, 130}, "magenta": {200, 40, 160}, "beige": {215, 200, 160},
	"navy": {25, 35, 90}, "lime": {150, 210, 50}, "turquoise": {60, 200, 190}, "copper": {184, 115, 51},
	"bronze": {170, 120, 60},
}

// metallicColours make a shape metal when no material word says otherwise.
var metallicColours = map[string]bool{"gold": true, "golden": true, "silver": true, "copper": true, "bronze": true}

var materialWords = map[string]string{
	"wood": MatWood, "wooden": MatWood, "oak": MatWood, "pine": MatWood, "timber": MatWood,
	"metal": MatMetal, "metallic": MatMetal, "steel": MatMetal, "iron": MatMetal, "aluminium": MatMetal,
	"aluminum": MatMetal, "chrome": MatMetal, "brushed": MatMetal,
	"stone": MatStone, "rock": MatStone, "granite": MatStone, "concrete": MatStone, "rocky": MatStone,
	"marble":  MatMarble,
	"plastic": MatPlastic, "glossy": MatPlastic, "lego": MatPlastic,
	"glass": MatGlass, "crystal": MatGlass, "transparent": MatGlass,
	"rubber": MatRubber,
	"clay":   MatClay, "ceramic": MatClay, "terracotta": MatClay, "pottery": MatClay,
}

// defaultColours of materials when the prompt names none.
var materialColours = map[string]rgb{
	MatWood: {150, 100, 55}, MatMetal: {180, 182, 188}, MatStone: {130, 125, 118}, MatMarble: {235, 232, 225},
	MatGlass: {200, 225, 235}, MatRubber: {40, 40, 42}, MatClay: {185, 100, 70},
}

// closers are words after which attributes belong to the next shape.
var closers = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "plus": true, "next": true, "beside": true,
	"one": true, "two": true, "three": true, "four": true, "some": true, "several": true, "then": true,
}

// item is one shape of a composition with what the words said about it.
type item struct {
	Shape      string
	Colour     rgb
	ColourName string // "" when the prompt named no colour for it
	Material   string
}

// plan is what a prompt asks for.
type plan struct {
	Items []item
	Fail  bool // the prompt contains the word "fail"
}

// words splits a prompt into lower-case words.
func words(prompt string) []string {
	return strings.FieldsFunc(strings.ToLower(prompt), func(r rune) bool { return !unicode.IsLetter(r) })
}

// singular strips an English plural so "cubes" and "boxes" match.
func singular(w string, known func(string) bool) string {
	if known(w) {
		return w
	}
	for _, suf := range []string{"es", "s"} {
		if s, ok := strings.CutSuffix(w, suf); ok && known(s) {
			return s
		}
	}
	return w
}

// mentionsFail reports whether the prompt contains the word "fail" (or
// fails, failed, failure): the sandbox then fails like a provider would.
func mentionsFail(prompt string) bool {
	for _, w := range words(prompt) {
		switch w {
		case "fail", "fails", "failed", "failure", "failing":
			return true
		}
	}
	return false
}

// parsePrompt reads shapes, colours and materials from the prompt's words.
// A colour or material word belongs to the next shape word; words after the
// last shape belong to it ("a cube made of oak"); a shape left without one
// takes its own material's colour, then the first colour the prompt named
// anywhere, then the material's colour again, then one picked from the seed.
func parsePrompt(prompt string, pick func(n int) int) plan {
	p := plan{Fail: mentionsFail(prompt)}
	var (
		pendColour, firstColour string
		pendMat, firstMat       string
	)
	isShape := func(w string) bool { _, ok := shapeWords[w]; return ok }
	// open: the last shape still takes attributes that follow it; a word
	// such as "and" or "a" closes it, so "a cube and a marble pillar"
	// gives the marble to the pillar.
	open := false
	for _, w := range words(prompt) {
		if s := singular(w, isShape); isShape(s) {
			if len(p.Items) == maxItems {
				open = false
				continue
			}
			p.Items = append(p.Items, item{Shape: shapeWords[s], ColourName: pendColour, Material: pendMat})
			pendColour, pendMat = "", ""
			open = true
			continue
		}
		if closers[w] {
			open = false
			continue
		}
		if _, ok := colourWords[w]; ok {
			if firstColour == "" {
				firstColour = w
			}
			if n := len(p.Items); open && pendColour == "" && n > 0 && p.Items[n-1].ColourName == "" && pendMat == "" {
				// "a cube, red": an attribute after a shape, with nothing pending, is the shape's.
				p.Items[n-1].ColourName = w
				continue
			}
			pendColour = w
			continue
		}
		if m, ok := materialWords[w]; ok {
			if firstMat == "" {
				firstMat = m
			}
			if n := len(p.Items); open && pendMat == "" && n > 0 && p.Items[n-1].Material == "" && pendColour == "" {
				p.Items[n-1].Material = m
				continue
			}
			pendMat = m
		}
	}
	if len(p.Items) == 0 {
		p.Items = append(p.Items, item{Shape: ShapeBlob, ColourName: pendColour, Material: pendMat})
	} else if n := len(p.Items); pendColour != "" || pendMat != "" {
		if p.Items[n-1].ColourName == "" {
			p.Items[n-1].ColourName = pendColour
		}
		if p.Items[n-1].Material == "" {
			p.Items[n-1].Material = pendMat
		}
	}
	palette := []string{"red", "green", "blue", "yellow", "orange", "purple", "pink", "teal", "white", "grey"}
	for i := range p.Items {
		it := &p.Items[i]
		// "a red cube and a stone cone": the cone's own material names its
		// colour before the prompt's first colour does.
		if _, own := materialColours[it.Material]; it.ColourName == "" && !own {
			it.ColourName = firstColour
		}
		if it.Material == "" {
			it.Material = firstMat
		}
		if it.Material == "" {
			it.Material = MatMatte
			if metallicColours[it.ColourName] {
				it.Material = MatMetal
			}
		}
		switch c, ok := materialColours[it.Material]; {
		case it.ColourName != "":
			it.Colour = colourWords[it.ColourName]
		case ok:
			it.Colour = c
		default:
			it.ColourName = palette[pick(len(palette))]
			it.Colour = colourWords[it.ColourName]
		}
	}
	return p
}
