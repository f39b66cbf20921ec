package selection

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Limits that keep a hostile selection from exhausting the stack or
// memory: a selection is typed by a person, so these are generous.
const (
	maxLength = 1 << 16 // bytes
	maxDepth  = 100     // nested parentheses and "not"s
)

// flags are the keywords without values.
var flags = map[string]bool{
	"all": true, "none": true, "protein": true, "backbone": true,
	"hydrogen": true, "heavy": true, "water": true,
}

// keywords are the keywords with values; numeric ones take numbers.
var keywords = map[string]bool{
	"index": true, "resid": true, "resindex": true, // numeric
	"name": true, "resname": true, "element": true, "chain": true,
}

func numeric(kw string) bool { return kw == "index" || kw == "resid" || kw == "resindex" }

// reserved words end a value list; a value equal to a keyword or flag is
// refused unless quoted, because "name CA resname ALA" is almost surely a
// missing "and".
func reserved(w string) bool {
	l := strings.ToLower(w)
	return l == "and" || l == "or" || l == "not" || l == "to" || flags[l] || keywords[l]
}

func known() string {
	var k []string
	for w := range flags {
		k = append(k, w)
	}
	for w := range keywords {
		k = append(k, w)
	}
	sort.Strings(k)
	return strings.Join(k, ", ")
}

type token struct {
	text   string
	quoted bool
	comma  bool // a "," separator
	paren  byte // '(' or ')', else 0
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{text: string(c), paren: c})
			i++
		case c == ',':
			toks = append(toks, token{text: ",", comma: true})
			i++
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quote at byte %d", i)
			}
			toks = append(toks, token{text: s[i+1 : i+1+j], quoted: true})
			i += j + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r(),\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

// isWord reports whether the next token is the unquoted word w (any case).
func (p *parser) isWord(w string) bool {
	t, ok := p.peek()
	return ok && !t.quoted && t.paren == 0 && !t.comma && strings.EqualFold(t.text, w)
}

// Parse parses a selection. Errors are *Error and say what is wrong where.
func Parse(s string) (*Selection, error) {
	fail := func(format string, a ...any) (*Selection, error) {
		return nil, &Error{s, fmt.Sprintf(format, a...)}
	}
	if len(s) > maxLength {
		return fail("longer than %d bytes", maxLength)
	}
	toks, err := lex(s)
	if err != nil {
		return fail("%v", err)
	}
	if len(toks) == 0 {
		return fail("empty (want, e.g., all, name CA, resid 2-35, index 0-9)")
	}
	p := &parser{toks: toks}
	root, err := p.or()
	if err != nil {
		return fail("%v", err)
	}
	if t, ok := p.peek(); ok {
		return fail("unexpected %q after a complete selection (want and, or, or the end)", t.text)
	}
	return &Selection{src: s, root: root}, nil
}

func (p *parser) or() (node, error) {
	a, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.pos++
		b, err := p.and()
		if err != nil {
			return nil, err
		}
		a = &binNode{op: "or", a: a, b: b}
	}
	return a, nil
}

func (p *parser) and() (node, error) {
	a, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.pos++
		b, err := p.unary()
		if err != nil {
			return nil, err
		}
		a = &binNode{op: "and", a: a, b: b}
	}
	return a, nil
}

func (p *parser) unary() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d deep", maxDepth)
	}
	t, ok := p.peek()
	if !ok {
		prev := p.toks[len(p.toks)-1].text
		return nil, fmt.Errorf("ends after %q (want a selection there)", prev)
	}
	switch {
	case t.paren == '(':
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if t, ok := p.peek(); !ok || t.paren != ')' {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return x, nil
	case t.paren == ')':
		return nil, fmt.Errorf("unexpected )")
	case t.comma:
		return nil, fmt.Errorf("unexpected ,")
	case t.quoted:
		return nil, fmt.Errorf("%q: a quoted value without a keyword (want, e.g., name %q)", t.text, t.text)
	}
	w := strings.ToLower(t.text)
	switch {
	case w == "not":
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	case w == "and" || w == "or" || w == "to":
		return nil, fmt.Errorf("unexpected %q (want a selection before it)", t.text)
	case flags[w]:
		p.pos++
		return &flagNode{kw: w}, nil
	case keywords[w]:
		p.pos++
		return p.values(w)
	case p.pos == 0 && t.text[0] >= '0' && t.text[0] <= '9':
		return p.values("index") // a bare number list
	}
	if t.text[0] >= '0' && t.text[0] <= '9' || t.text[0] == '-' {
		return nil, fmt.Errorf("%q: a number without a keyword (a number list is an index selection only at the start; want, e.g., index %s or resid %s)", t.text, t.text, t.text)
	}
	return nil, fmt.Errorf("unknown keyword %q (known: %s)", t.text, known())
}

// values parses the value list of keyword kw.
func (p *parser) values(kw string) (node, error) {
	n := &listNode{kw: kw}
	for {
		t, ok := p.peek()
		if !ok || t.paren != 0 || (!t.quoted && (p.isWord("and") || p.isWord("or") || p.isWord("not"))) {
			break
		}
		if t.comma {
			if len(n.nums)+len(n.pats) == 0 {
				return nil, fmt.Errorf("%s: a comma before the first value", kw)
			}
			p.pos++
			if t, ok := p.peek(); !ok || t.comma || t.paren != 0 {
				return nil, fmt.Errorf("%s: a comma without a value after it", kw)
			}
			continue
		}
		if !t.quoted && reserved(t.text) && !strings.EqualFold(t.text, "to") {
			return nil, fmt.Errorf("%s %q: %q is a keyword; join two selections with and/or, or quote a value that is spelt like a keyword", kw, t.text, t.text)
		}
		p.pos++
		if !numeric(kw) {
			if !t.quoted && strings.EqualFold(t.text, "to") {
				return nil, fmt.Errorf("%s: \"to\" makes ranges of numbers only", kw)
			}
			n.pats = append(n.pats, t.text)
			continue
		}
		if !t.quoted && strings.EqualFold(t.text, "to") {
			return nil, fmt.Errorf("%s: \"to\" without a number before it", kw)
		}
		r, err := parseRange(kw, t.text)
		if err != nil {
			return nil, err
		}
		if p.isWord("to") {
			if r.lo != r.hi {
				return nil, fmt.Errorf("%s: %q to …: a range cannot start a range", kw, t.text)
			}
			p.pos++
			u, ok := p.peek()
			if !ok || u.paren != 0 || u.comma {
				return nil, fmt.Errorf("%s: %s to: want a number after \"to\"", kw, t.text)
			}
			p.pos++
			hi, err := parseNum(kw, u.text)
			if err != nil {
				return nil, err
			}
			if hi < r.lo {
				return nil, fmt.Errorf("%s: %s to %s is an empty range", kw, t.text, u.text)
			}
			r.hi = hi
		}
		if kw != "resid" && r.lo < 0 {
			return nil, fmt.Errorf("%s: %d is negative (%s counts from 0)", kw, r.lo, kw)
		}
		n.nums = append(n.nums, r)
	}
	if len(n.nums)+len(n.pats) == 0 {
		what := map[string]string{"index": "atom indices", "resid": "residue numbers", "resindex": "residue indices",
			"name": "atom names", "resname": "residue names", "element": "element symbols", "chain": "chain identifiers"}[kw]
		return nil, fmt.Errorf("%s: no value (want one or more %s)", kw, what)
	}
	return n, nil
}

type span struct{ lo, hi int }

func parseNum(kw, s string) (int, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		return 0, fmt.Errorf("%s: %q is not a whole number", kw, s)
	}
	return int(v), nil
}

// parseRange parses N, N-M or N:M (N and M may be negative: -5--2).
func parseRange(kw, s string) (span, error) {
	bad := fmt.Errorf("%s: %q is not a number or range (want N, N-M, N:M or N to M)", kw, s)
	if s == "" {
		return span{}, bad
	}
	// The separator is the first '-' or ':' after the first character.
	cut := -1
	for i := 1; i < len(s); i++ {
		if s[i] == '-' || s[i] == ':' {
			cut = i
			break
		}
	}
	if cut < 0 {
		v, err := parseNum(kw, s)
		if err != nil {
			return span{}, bad
		}
		return span{v, v}, nil
	}
	lo, err1 := parseNum(kw, s[:cut])
	hi, err2 := parseNum(kw, s[cut+1:])
	if err1 != nil || err2 != nil {
		return span{}, bad
	}
	if hi < lo {
		return span{}, fmt.Errorf("%s: %q is an empty range", kw, s)
	}
	return span{lo, hi}, nil
}
