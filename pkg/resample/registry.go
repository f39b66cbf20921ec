package resample

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Method is a resampling method as the tools offer it (we-resample
// --resampler NAME): the parameters it takes on the command line, their
// defaults, and how its Resampler is built from their values. Every method
// registers itself from its own file (revo.go, wexplore.go …), so a new
// method is one file: its Resampler and one Register call.
type Method struct {
	// Name is the --resampler value and the name recorded in snapshots'
	// resampler field; it selects the carried state of the previous cycle.
	Name string
	// Doc is the method's entry in we-resample's manual: what it is and
	// what its parameters mean, as lines of at most 66 columns.
	Doc string
	// Version is the version of the method's algorithm. The first version
	// is 0 or 1 and is not recorded; from 2 on it is recorded in the
	// snapshot's op parameters ("version"), so that a method whose
	// decisions changed never answers with a result memoised before.
	Version int
	// Params are the method's flags. Their values, defaults filled in, are
	// recorded in the snapshot's op, so that the same configuration written
	// two ways gives one hash.
	Params []Param
	// Image says how the walkers' images are made.
	Image ImageKind
	// New builds the resampler from the parameter values. It returns a
	// *ParamError for a value that is wrong, and other errors for failures
	// to get what it needs (Args.InitialImage).
	New func(a *Args) (Resampler, error)
}

// ImageKind says where a method's images come from.
type ImageKind int

const (
	// ImageFlag: the tool's --image flag (observables, by default all of
	// them, or the coordinates of an atom selection compared by RMSD).
	ImageFlag ImageKind = iota
	// ImageNone: the method looks at no image.
	ImageNone
	// ImageParams: the method's own parameters name the observables that
	// make the image (binned's --bins, mab's --mab); New calls SetImage.
	ImageParams
)

// ParamKind is the type of a parameter's value.
type ParamKind int

const (
	String ParamKind = iota // any text, recorded as given
	Float                   // a float64, recorded in Go's shortest form ('g', -1)
	Int                     // an int (decimal, 0x…, 0o…), recorded in decimal
	Bool                    // a switch: "--name" or "--name=false", recorded as true or false
	List                    // a repeatable text flag, recorded joined by ","
)

// Param is one flag of a method.
type Param struct {
	// Name is the flag's name without dashes. Methods that share a name
	// (revo and wexplore share pmin) must give it the same Kind.
	Name  string
	Kind  ParamKind
	Usage string
	// Default is the value recorded when the flag is not given, in its
	// recorded form; "" for none (a required or empty parameter).
	Default string
	// ZeroIsDefault makes an explicit 0 mean the default, as WESTPA's and
	// wepy's weight bounds do.
	ZeroIsDefault bool
}

// ParamError is a wrong parameter value or combination: a usage error in a
// tool (exit status 2).
type ParamError struct{ Msg string }

func (e *ParamError) Error() string { return e.Msg }

// ParamErrorf returns a *ParamError.
func ParamErrorf(format string, a ...any) error {
	return &ParamError{fmt.Sprintf(format, a...)}
}

// Args are what Method.New gets: the parameter values and what it may need
// to know of the system and of the previous cycle.
type Args struct {
	values map[string]string // recorded form, defaults filled in
	lists  map[string][]string
	// Observables are the system's observable names, in its order.
	Observables []string
	// Metric is the distance between images (from --image).
	Metric Metric
	// Carried reports whether the input snapshot carries this method's
	// state from the previous cycle.
	Carried bool
	// InitialImage returns the image of the system's first initial state
	// (WExplore seeds its region tree with it).
	InitialImage func() ([]float64, error)
	image        []string
}

// NewArgs returns the values of method m's parameters from given, the
// values of the flags that were set (in the order given), with
// defaults filled in and every value checked against its kind and put in
// its recorded form. A flag of given that m does not take is a
// *ParamError.
func NewArgs(m Method, given map[string][]string) (*Args, error) {
	a := &Args{values: map[string]string{}, lists: map[string][]string{}}
	for name := range given {
		if !slices.ContainsFunc(m.Params, func(p Param) bool { return p.Name == name }) {
			return nil, ParamErrorf("--%s is not a flag of --resampler %s (%s)", name, m.Name, m.flagList())
		}
	}
	for _, p := range m.Params {
		vs, ok := given[p.Name]
		if p.Kind == List {
			a.lists[p.Name] = vs
			a.values[p.Name] = strings.Join(vs, ",")
			continue
		}
		if !ok || len(vs) == 0 {
			a.values[p.Name] = p.Default
			continue
		}
		v, err := p.normalize(vs[len(vs)-1]) // the last one given wins, as with flag
		if err != nil {
			return nil, err
		}
		if p.ZeroIsDefault && v == "0" {
			v = p.Default
		}
		a.values[p.Name] = v
	}
	return a, nil
}

// CheckValue checks one value of parameter name of any registered method
// against its kind (for a flag.Value's Set).
func CheckValue(name, v string) error {
	p, ok := lookupParam(name)
	if !ok {
		return fmt.Errorf("no method has a parameter %q", name)
	}
	_, err := p.normalize(v)
	return err
}

func (p Param) normalize(v string) (string, error) {
	switch p.Kind {
	case Float:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return "", ParamErrorf("--%s %q: not a number", p.Name, v)
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case Int:
		x, err := strconv.ParseInt(v, 0, strconv.IntSize)
		if err != nil {
			return "", ParamErrorf("--%s %q: not a whole number", p.Name, v)
		}
		return strconv.FormatInt(x, 10), nil
	case Bool:
		x, err := strconv.ParseBool(v)
		if err != nil {
			return "", ParamErrorf("--%s %q: want true or false", p.Name, v)
		}
		return strconv.FormatBool(x), nil
	}
	return v, nil
}

func (m Method) flagList() string {
	if len(m.Params) == 0 {
		return "it takes no flags"
	}
	var names []string
	for _, p := range m.Params {
		names = append(names, "--"+p.Name)
	}
	return "its flags: " + strings.Join(names, ", ")
}

// Recorded returns the parameters as the snapshot's op records them: every
// parameter of the method, defaults filled in, and its version from 2 on.
func (a *Args) Recorded(m Method) map[string]string {
	out := make(map[string]string, len(a.values)+1)
	for k, v := range a.values {
		out[k] = v
	}
	if m.Version >= 2 {
		out["version"] = strconv.Itoa(m.Version)
	}
	return out
}

// String returns a parameter's value in its recorded form.
func (a *Args) String(name string) string { return a.values[name] }

// Float returns a Float parameter's value (NaN if it has none).
func (a *Args) Float(name string) float64 {
	x, err := strconv.ParseFloat(a.values[name], 64)
	if err != nil {
		return math.NaN()
	}
	return x
}

// Int returns an Int parameter's value (0 if it has none).
func (a *Args) Int(name string) int {
	x, _ := strconv.Atoi(a.values[name])
	return x
}

// Bool returns a Bool parameter's value.
func (a *Args) Bool(name string) bool { return a.values[name] == "true" }

// List returns a List parameter's values in the order given.
func (a *Args) List(name string) []string { return a.lists[name] }

// Floats parses a String parameter holding comma-separated numbers
// ("1,0.5,0.35"); "" gives nil.
func (a *Args) Floats(name string) ([]float64, error) {
	return splitParse(name, a.values[name], func(s string) (float64, error) {
		x, err := strconv.ParseFloat(s, 64)
		if err == nil && math.IsNaN(x) {
			err = errors.New("NaN")
		}
		return x, err
	}, "a number")
}

// Ints parses a String parameter holding comma-separated whole numbers;
// "" gives nil.
func (a *Args) Ints(name string) ([]int, error) {
	return splitParse(name, a.values[name], strconv.Atoi, "a whole number")
}

func splitParse[T any](name, v string, parse func(string) (T, error), what string) ([]T, error) {
	if v == "" {
		return nil, nil
	}
	var out []T
	for _, s := range strings.Split(v, ",") {
		x, err := parse(strings.TrimSpace(s))
		if err != nil {
			return nil, ParamErrorf("--%s: %q is not %s", name, s, what)
		}
		out = append(out, x)
	}
	return out, nil
}

// ObsDims parses a List parameter whose values are OBS:REST (binned's
// --bins r:0.5,1, mab's --mab r:10), checks every OBS against the
// system's observables, sets the image to them in order and returns the
// RESTs, one per value of the flag (a.List(name)). want describes a value
// for the error message.
func (a *Args) ObsDims(name, want string) ([]string, error) {
	vs := a.lists[name]
	var obs, rest []string
	for _, v := range vs {
		o, r, ok := strings.Cut(v, ":")
		if !ok || !slices.Contains(a.Observables, o) {
			return nil, ParamErrorf("--%s %q: want %s with OBS one of %s", name, v, want, strings.Join(a.Observables, ", "))
		}
		obs = append(obs, o)
		rest = append(rest, r)
	}
	a.SetImage(obs)
	return rest, nil
}

// SetImage says which observables make the image, for ImageParams methods.
func (a *Args) SetImage(obs []string) { a.image = obs }

// Image returns what SetImage set.
func (a *Args) Image() []string { return a.image }

var registry = struct {
	sync.RWMutex
	methods map[string]Method
	params  map[string]Param // by name, across methods
}{methods: map[string]Method{}, params: map[string]Param{}}

// Register makes a method available to the tools. It panics when the name
// is empty or taken, New is nil, or a parameter clashes with another
// method's of the same name, as registration happens in init functions
// where such a clash is a programming error.
func Register(m Method) {
	registry.Lock()
	defer registry.Unlock()
	if m.Name == "" || m.New == nil {
		panic("resample: Register with an empty name or a nil New")
	}
	if _, dup := registry.methods[m.Name]; dup {
		panic(fmt.Sprintf("resample: Register called twice for %q", m.Name))
	}
	for _, p := range m.Params {
		if q, ok := registry.params[p.Name]; ok && q.Kind != p.Kind {
			panic(fmt.Sprintf("resample: method %s: parameter %s has another kind in another method", m.Name, p.Name))
		}
		if _, ok := registry.params[p.Name]; !ok {
			registry.params[p.Name] = p
		}
	}
	registry.methods[m.Name] = m
}

// Lookup returns the method registered under name.
func Lookup(name string) (Method, bool) {
	registry.RLock()
	defer registry.RUnlock()
	m, ok := registry.methods[name]
	return m, ok
}

// Methods returns the registered methods sorted by name.
func Methods() []Method {
	registry.RLock()
	defer registry.RUnlock()
	var ms []Method
	for _, m := range registry.methods {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b Method) int { return strings.Compare(a.Name, b.Name) })
	return ms
}

// MethodNames returns the registered names sorted, as "a, b or c".
func MethodNames() string {
	var names []string
	for _, m := range Methods() {
		names = append(names, m.Name)
	}
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// AllParams returns every registered method's parameters, each name once,
// sorted by name, with the usage text naming the methods that take it.
func AllParams() []Param {
	registry.RLock()
	defer registry.RUnlock()
	users := map[string][]string{}
	for _, m := range registry.methods {
		for _, p := range m.Params {
			users[p.Name] = append(users[p.Name], m.Name)
		}
	}
	var ps []Param
	for name, p := range registry.params {
		slices.Sort(users[name])
		p.Usage = strings.Join(users[name], ", ") + ": " + p.Usage
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	return ps
}

func lookupParam(name string) (Param, bool) {
	registry.RLock()
	defer registry.RUnlock()
	p, ok := registry.params[name]
	return p, ok
}

// Manual returns the "Methods" part of we-resample's manual: every
// registered method's Doc under its name.
func Manual() string {
	var b strings.Builder
	for _, m := range Methods() {
		lines := strings.Split(strings.TrimRight(m.Doc, "\n"), "\n")
		for i, l := range lines {
			name := ""
			if i == 0 {
				name = m.Name
			}
			fmt.Fprintf(&b, "\t%-9s %s\n", name, l)
		}
	}
	return b.String()
}

// validated runs Validate and turns its error into a *ParamError.
func validated(r Resampler) (Resampler, error) {
	if v, ok := r.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, &ParamError{err.Error()}
		}
	}
	return r, nil
}
