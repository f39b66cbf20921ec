// Package ls is we-ls: listings of a store. It is apart from
// internal/tools so that we-ls links none of the analysis tools' packages
// (gonum/plot and its fonts alone cost about 6 ms of initialisation in
// every process), for a listing of 20,000 snapshots is meant to take at
// most 20 ms (scripts/bench/index.sh).
package ls

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Ls is we-ls.
func Ls(env *cli.Env, args []string) int {
	err := lsRun(env, args)
	// As internal/tools' finish: closing stdout tells the next stage of a
	// pipeline that its input is complete.
	if f, ok := env.Stdout.(*os.File); ok {
		f.Close()
	}
	if errors.Is(err, cli.ErrHelp) {
		return cli.ExitOK
	}
	return env.Fail(err)
}

type lister struct {
	env   *cli.Env
	json  bool
	quiet bool // -q: the key of each row only
	tw    *tabwriter.Writer
	enc   *json.Encoder
}

func (l *lister) header(cols ...string) {
	if !l.json && !l.quiet {
		fmt.Fprintln(l.tw, strings.Join(cols, "\t"))
	}
}

// item writes one row: obj as a JSON line, the columns as a table row, or
// with -q the row's key (a hash) alone.
func (l *lister) item(key string, obj any, cols ...string) error {
	switch {
	case l.quiet:
		_, err := fmt.Fprintln(l.tw, key)
		return err
	case l.json:
		return l.enc.Encode(obj)
	}
	_, err := fmt.Fprintln(l.tw, strings.Join(cols, "\t"))
	return err
}

// row is item for listings without keys (not listed by -q).
func (l *lister) row(obj any, cols ...string) error { return l.item("", obj, cols...) }

func lsRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	asJSON := fs.Bool("json", false, "JSON lines instead of a table")
	quiet := fs.Bool("q", false, "hashes only")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return cli.Usagef("what to list: snapshots, systems, runs, configs, walkers HASH, warps HASH, sizes HASH")
	}
	what, rest := pos[0], pos[1:]
	st, err := env.OpenStore(*storeDir)
	if err != nil {
		return err
	}
	l := &lister{env: env, json: *asJSON, quiet: *quiet, tw: tabwriter.NewWriter(env.Stdout, 2, 8, 2, ' ', 0), enc: json.NewEncoder(env.Stdout)}
	if l.quiet && (what == "warps" || what == "sizes") {
		return cli.Usagef("-q lists hashes: snapshots, systems, runs (end hashes), configs, walkers (state hashes)")
	}
	if l.quiet && l.json {
		return cli.Usagef("-q and --json exclude each other")
	}
	switch what {
	case "snapshots", "systems", "runs", "configs":
		if len(rest) > 0 {
			return cli.Usagef("ls %s takes no argument", what)
		}
	case "walkers", "warps", "sizes":
		in, err := env.OneInput(rest)
		if err != nil {
			return err
		}
		rest = []string{in}
	default:
		return cli.Usagef("unknown listing %q (snapshots, systems, runs, configs, walkers HASH, warps HASH, sizes HASH)", what)
	}
	switch what {
	case "snapshots", "runs":
		// A listing's memory is a few hundred bytes a snapshot, all of it
		// live until the end: collecting garbage at the default 4 MB (a
		// pause of milliseconds in a 20,000-snapshot listing) frees
		// nothing. Five times the live heap stays bounded by the store.
		defer debug.SetGCPercent(debug.SetGCPercent(500))
	}
	switch what {
	case "snapshots":
		err = lsSound(l, st, "snapshots", lsSnapshots)
	case "systems":
		err = lsSound(l, st, "systems", lsSystems)
	case "runs":
		err = lsSound(l, st, "objects", lsRuns)
	case "configs":
		err = lsSound(l, st, "run records", lsConfigs)
	case "walkers":
		err = lsWalkers(l, st, rest[0])
	case "warps":
		err = lsWarps(l, st, rest[0])
	case "sizes":
		err = lsSizes(l, st, rest[0])
	}
	if err != nil {
		return err
	}
	if !l.json {
		return l.tw.Flush()
	}
	return nil
}

// lsSound runs a listing of the whole store that lists what is sound and
// returns the objects it could not read: each is reported on stderr, the
// listing is completed (flushed), and the tool then fails (exit 1).
func lsSound(l *lister, st *store.Store, what string, list func(*lister, *store.Store) ([]error, int, error)) error {
	bad, n, err := list(l, st)
	if err != nil {
		return err
	}
	for _, e := range bad {
		l.env.Errorf("%v", e)
	}
	if !l.json {
		if err := l.tw.Flush(); err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d of %d %s could not be read; the others are listed", len(bad), n, what)
	}
	return nil
}

func hashList(hs []record.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

// lsSnapshots lists the snapshots in cycle order. It formats the rows
// straight from the snapshot index (FORMAT.md §1.5), mapped when it is
// complete and current, so that a long run's listing decodes nothing.
func lsSnapshots(l *lister, st *store.Store) ([]error, int, error) {
	n := 0
	bad, err := st.ViewSnapshots(func(x *store.SnapIndex) error {
		n = x.Len()
		order := byCycle(x)
		if !l.json {
			return writeSnapshotTable(l, x, order)
		}
		return writeSnapshotJSON(l, x, order)
	})
	if err != nil {
		return nil, 0, err
	}
	return bad, n + len(bad), nil
}

// writeSnapshotJSON writes we-ls snapshots --json: a JSON line a snapshot.
func writeSnapshotJSON(l *lister, x *store.SnapIndex, order []int32) error {
	type row struct {
		Hash    string   `json:"hash"`
		Cycle   uint64   `json:"cycle"`
		Walkers int      `json:"walkers"`
		Tool    string   `json:"tool"`
		System  string   `json:"system"`
		Parents []string `json:"parents"`
		Shard   string   `json:"shard,omitempty"`
	}
	w := bufio.NewWriterSize(l.env.Stdout, 64<<10)
	enc := json.NewEncoder(w)
	for _, i := range order {
		s := x.Info(int(i))
		r := row{Hash: s.Hash.String(), Cycle: s.Cycle, Walkers: s.Walkers, Tool: s.Tool, System: s.System.String(), Parents: hashList(s.Parents)}
		if s.Shard != nil {
			r.Shard = fmt.Sprintf("%d/%d", s.Shard.Index, s.Shard.Count)
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return w.Flush()
}

// byCycle orders the entries of x (sorted by hash) by cycle, then hash:
// the order of we-ls snapshots. Cycles that span no more than a few times
// as many values as there are snapshots (every run) are sorted by
// counting, which keeps the hash order within a cycle.
func byCycle(x *store.SnapIndex) []int32 {
	n := x.Len()
	order := make([]int32, n)
	if n == 0 {
		return order
	}
	lo, hi := x.Cycle(0), x.Cycle(0)
	for i := range n {
		c := x.Cycle(i)
		lo, hi = min(lo, c), max(hi, c)
	}
	if span := hi - lo; span < 4*uint64(n) {
		start := make([]int32, span+2)
		for i := range n {
			start[x.Cycle(i)-lo+1]++
		}
		for c := 1; c < len(start); c++ {
			start[c] += start[c-1]
		}
		for i := range n {
			c := x.Cycle(i) - lo
			order[start[c]] = int32(i)
			start[c]++
		}
		return order
	}
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(x.Cycle(int(a)), x.Cycle(int(b))); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order
}

// writeSnapshotTable writes the table (or with -q the hashes) of we-ls
// snapshots. It lays the columns out itself, as text/tabwriter would
// (minimum width 2, padding 2, spaces), into one buffer written at once:
// through the tabwriter, a 20,000-snapshot listing took ten times as
// long as reading the snapshot index. A tool name that the tabwriter
// would treat specially (a control character, its escape byte) or that
// is not ASCII goes the tabwriter's way.
func writeSnapshotTable(l *lister, x *store.SnapIndex, order []int32) error {
	n := x.Len()
	plain := true
	for i := 0; i < n && plain; i++ {
		for _, c := range []byte(x.Tool(i)) {
			if c < 0x20 || c > 0x7e {
				plain = false
			}
		}
	}
	if !plain && !l.quiet {
		l.header("HASH", "CYCLE", "WALKERS", "TOOL", "SHARD", "PARENT")
		for _, i := range order {
			s := x.Info(int(i))
			if err := l.item("", nil, s.Hash.String(), strconv.FormatUint(s.Cycle, 10), strconv.Itoa(s.Walkers), s.Tool, shardText(s.Shard), parentText(s.Parents)); err != nil {
				return err
			}
		}
		return nil
	}
	// Written in pieces of 64 KiB: a buffer of the whole listing costs
	// more in page faults than the writes it saves.
	b := make([]byte, 0, 64<<10)
	var werr error
	flush := func(force bool) {
		if len(b) >= 63<<10 || force && len(b) > 0 {
			if _, err := l.env.Stdout.Write(b); err != nil && werr == nil {
				werr = err
			}
			b = b[:0]
		}
	}
	if l.quiet {
		for _, i := range order {
			b = appendHex(b, x.HashBytes(int(i)))
			b = append(b, '\n')
			flush(false)
		}
		flush(true)
		return werr
	}
	// Column widths: the widest cell plus the padding, at least 2.
	head := []string{"HASH", "CYCLE", "WALKERS", "TOOL", "SHARD"}
	var width [5]int
	for c, h := range head {
		width[c] = len(h)
	}
	width[0] = max(width[0], 64)
	var num [24]byte
	for i := 0; i < n; i++ {
		width[1] = max(width[1], len(strconv.AppendUint(num[:0], x.Cycle(i), 10)))
		width[2] = max(width[2], len(strconv.AppendInt(num[:0], int64(x.Walkers(i)), 10)))
		width[3] = max(width[3], len(x.Tool(i)))
		width[4] = max(width[4], len(appendShard(num[:0], x, i)))
	}
	for c := range width {
		width[c] = max(width[c]+2, 2)
	}
	spaces := bytes.Repeat([]byte{' '}, max(width[0], width[1], width[2], width[3], width[4]))
	pad := func(b []byte, n int) []byte { return append(b, spaces[:max(n, 0)]...) }
	for c, h := range head {
		b = pad(append(b, h...), width[c]-len(h))
	}
	b = append(b, "PARENT\n"...)
	for _, o := range order {
		i := int(o)
		b = appendHex(b, x.HashBytes(i))
		b = pad(b, width[0]-64)
		m := len(b)
		b = strconv.AppendUint(b, x.Cycle(i), 10)
		b = pad(b, width[1]-(len(b)-m))
		m = len(b)
		b = strconv.AppendInt(b, int64(x.Walkers(i)), 10)
		b = pad(b, width[2]-(len(b)-m))
		tool := x.Tool(i)
		b = pad(append(b, tool...), width[3]-len(tool))
		m = len(b)
		b = appendShard(b, x, i)
		b = pad(b, width[4]-(len(b)-m))
		if np := x.NumParents(i); np == 0 {
			b = append(b, '-')
		} else {
			b = appendHex(b, x.ParentBytes(i, 0)[:6])
			if np > 1 {
				b = append(b, " (+"...)
				b = strconv.AppendInt(b, int64(np-1), 10)
				b = append(b, ')')
			}
		}
		b = append(b, '\n')
		flush(false)
	}
	flush(true)
	return werr
}

// appendShard appends entry i's SHARD column: "i/n", or "-".
func appendShard(b []byte, x *store.SnapIndex, i int) []byte {
	sh, ok := x.Shard(i)
	if !ok {
		return append(b, '-')
	}
	b = strconv.AppendInt(b, int64(sh.Index), 10)
	b = append(b, '/')
	return strconv.AppendInt(b, int64(sh.Count), 10)
}

// hexPairs are the two lowercase hex digits of every byte.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&15]}
	}
	return t
}()

// appendHex appends the lowercase hex of x, two digits a byte at a time
// and without a bounds check a byte (encoding/hex goes a digit at a
// time: a tenth of a 20,000-row listing).
func appendHex(b, x []byte) []byte {
	n := len(b)
	b = slices.Grow(b, 2*len(x))[:n+2*len(x)]
	out := b[n:]
	for len(x) >= 4 && len(out) >= 8 {
		p0, p1, p2, p3 := hexPairs[x[0]], hexPairs[x[1]], hexPairs[x[2]], hexPairs[x[3]]
		out[0], out[1], out[2], out[3] = p0[0], p0[1], p1[0], p1[1]
		out[4], out[5], out[6], out[7] = p2[0], p2[1], p3[0], p3[1]
		x, out = x[4:], out[8:]
	}
	for i, c := range x {
		p := hexPairs[c]
		out[2*i], out[2*i+1] = p[0], p[1]
	}
	return b
}

// shardText is the SHARD column: "i/n", or "-" for a complete snapshot.
func shardText(sh *record.Shard) string {
	if sh == nil {
		return "-"
	}
	return strconv.Itoa(sh.Index) + "/" + strconv.Itoa(sh.Count)
}

// parentText is the PARENT column: the first parent's first 12 digits,
// "(+n)" for the others, "-" for none.
func parentText(ps []record.Hash) string {
	if len(ps) == 0 {
		return "-"
	}
	t := ps[0].String()[:12]
	if len(ps) > 1 {
		t += fmt.Sprintf(" (+%d)", len(ps)-1)
	}
	return t
}

func lsSystems(l *lister, st *store.Store) ([]error, int, error) {
	hs, err := st.List(record.KindSystem)
	if err != nil {
		return nil, 0, err
	}
	var bad []error
	type row struct {
		Hash        string             `json:"hash"`
		Name        string             `json:"name"`
		Atoms       int                `json:"atoms"`
		Engine      string             `json:"engine"`
		Observables []string           `json:"observables"`
		Params      map[string]float64 `json:"params,omitempty"`
	}
	l.header("HASH", "NAME", "ATOMS", "ENGINE", "OBSERVABLES", "PARAMS")
	for _, h := range hs {
		s, err := cli.LoadSystem(st, h)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		r := row{h.String(), s.Name, s.NAtoms(), s.Engine, s.ObsNames(), s.Params}
		var ps []string
		for k, v := range s.Params {
			ps = append(ps, k+"="+strconv.FormatFloat(v, 'g', -1, 64))
		}
		sort.Strings(ps)
		if err := l.item(r.Hash, r, r.Hash, r.Name, strconv.Itoa(r.Atoms), r.Engine, strings.Join(r.Observables, ","), strings.Join(ps, " ")); err != nil {
			return nil, 0, err
		}
	}
	return bad, len(hs), nil
}

// lsRuns lists the runs that run records describe (we-run's), oldest
// first, each with its status and configuration, then every chain of
// snapshots from a root to a leaf that no run record ends at (runs made by
// pipelines, Make or Snakemake).
// A corrupt snapshot ends the chains through it (the chains before and
// after it are listed apart); a corrupt run record is reported and the
// others are listed.
func lsRuns(l *lister, st *store.Store) ([]error, int, error) {
	g, bad, err := lineage.LoadSummary(st)
	if err != nil {
		return nil, 0, err
	}
	runs, badRuns, err := loadRuns(st)
	if err != nil {
		return nil, 0, err
	}
	bad = append(bad, badRuns...)
	type row struct {
		Run       string  `json:"run,omitempty"` // the run record's hash
		Start     string  `json:"start"`
		End       string  `json:"end"`
		Cycles    uint64  `json:"cycles"`
		Snapshots int     `json:"snapshots"`
		Status    string  `json:"status"` // done, interrupted, failed; chain: no record
		Began     string  `json:"began,omitempty"`
		Wall      float64 `json:"wall,omitempty"`
		Config    string  `json:"config,omitempty"`
	}
	var rows []row
	ended := map[record.Hash]bool{}
	for _, r := range runs {
		ended[r.rec.End] = true
		rows = append(rows, row{Run: r.hash.String(), Start: r.rec.Start.String(), End: r.rec.End.String(), Cycles: r.rec.Cycles,
			Snapshots: g.ChainLength(r.rec.Start, r.rec.End), Status: r.rec.Status, Began: r.rec.Began, Wall: r.rec.Wall, Config: r.config})
	}
	for _, r := range g.Runs() {
		if !ended[r.End] {
			rows = append(rows, row{Start: r.Start.String(), End: r.End.String(), Cycles: r.Cycles, Snapshots: r.Snapshots, Status: "chain"})
		}
	}
	l.header("START", "END", "CYCLES", "SNAPSHOTS", "STATUS", "BEGAN", "WALL", "CONFIG")
	for _, x := range rows {
		began, wall, cfg := "-", "-", "-"
		if x.Run != "" {
			began, wall, cfg = x.Began, strconv.FormatFloat(x.Wall, 'f', 1, 64)+" s", x.Config
		}
		if err := l.item(x.End, x, x.Start, x.End, strconv.FormatUint(x.Cycles, 10), strconv.Itoa(x.Snapshots), x.Status, began, wall, cfg); err != nil {
			return nil, 0, err
		}
	}
	return bad, len(g.Infos) + len(runs) + len(bad), nil
}

// runEntry is a run record with its hash and its configuration's key.
type runEntry struct {
	hash   record.Hash
	rec    *record.Run
	config string // the first 16 hex digits of the SHA-256 of the config's CBOR
}

// loadRuns loads every run record that can be read, oldest first, and
// returns the errors of those that cannot.
func loadRuns(st *store.Store) ([]runEntry, []error, error) {
	hs, err := st.List(record.KindRun)
	if err != nil {
		return nil, nil, err
	}
	var out []runEntry
	var bad []error
	for _, h := range hs {
		r, err := store.LoadAs[*record.Run](st, h)
		if err != nil {
			bad = append(bad, fmt.Errorf("load run %s: %w", h.Short(), err))
			continue
		}
		b, err := codec.Marshal(r.Config)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, runEntry{h, r, record.Sum(b).String()[:16]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rec.Began < out[j].rec.Began })
	return out, bad, nil
}

// lsConfigs lists the distinct configurations of the run records (wepy's
// ls configs), each with the runs that used it.
func lsConfigs(l *lister, st *store.Store) ([]error, int, error) {
	runs, bad, err := loadRuns(st)
	if err != nil {
		return nil, 0, err
	}
	type row struct {
		Config string           `json:"config"`
		Runs   []string         `json:"runs"`
		Cycles uint64           `json:"cycles"`
		Detail record.RunConfig `json:"detail"`
	}
	var rows []*row
	byKey := map[string]*row{}
	for _, r := range runs {
		x, ok := byKey[r.config]
		if !ok {
			x = &row{Config: r.config, Detail: r.rec.Config}
			byKey[r.config] = x
			rows = append(rows, x)
		}
		x.Runs = append(x.Runs, r.hash.String())
		x.Cycles += r.rec.Cycles
	}
	l.header("CONFIG", "RUNS", "CYCLES", "ENGINE", "SHARDS", "STEP", "RESAMPLE")
	for _, x := range rows {
		d := x.Detail
		if err := l.item(x.Config, x, x.Config, strconv.Itoa(len(x.Runs)), strconv.FormatUint(x.Cycles, 10), d.Engine,
			strconv.FormatUint(d.Shards, 10), paramText(d.Step), paramText(d.Resample)); err != nil {
			return nil, 0, err
		}
	}
	return bad, len(runs) + len(bad), nil
}

// paramText is op parameters as "k=v k=v", sorted by key.
func paramText(p map[string]string) string {
	var ps []string
	for k, v := range p {
		ps = append(ps, k+"="+v)
	}
	sort.Strings(ps)
	return strings.Join(ps, " ")
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }

func lsWalkers(l *lister, st *store.Store, arg string) error {
	_, snap, err := cli.ResolveSnapshot(st, arg)
	if err != nil {
		return err
	}
	sys, err := cli.LoadSystem(st, snap.System)
	if err != nil {
		return err
	}
	names := sys.ObsNames()
	type row struct {
		Index  int                `json:"index"`
		Weight float64            `json:"weight"`
		State  string             `json:"state"`
		Obs    map[string]float64 `json:"obs"`
		Parent int                `json:"parent"`
		Region []int              `json:"region,omitempty"`
	}
	l.header(append([]string{"INDEX", "WEIGHT", "STATE", "PARENT"}, upper(names)...)...)
	base := 0
	if snap.Shard != nil {
		base, _ = record.ShardRange(snap.Shard.Index, snap.Shard.Count, snap.Shard.Total)
	}
	for i, w := range snap.Walkers {
		obs := w.Obs
		if obs == nil {
			obs = map[string]float64{}
		}
		r := row{base + i, w.Weight, w.State.String(), obs, w.Parent, w.Region}
		cols := []string{strconv.Itoa(r.Index), fmtFloat(w.Weight), r.State[:16], strconv.Itoa(w.Parent)}
		for _, n := range names {
			cols = append(cols, fmtFloat(obs[n]))
		}
		if err := l.item(r.State, r, cols...); err != nil {
			return err
		}
	}
	return nil
}

func upper(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.ToUpper(x)
	}
	return out
}

// historyOf is the history of the snapshot arg names.
func historyOf(st *store.Store, arg string) ([]lineage.Entry, error) {
	h, _, err := cli.ResolveSnapshot(st, arg)
	if err != nil {
		return nil, err
	}
	return lineage.History(st, h)
}

func lsWarps(l *lister, st *store.Store, arg string) error {
	hist, err := historyOf(st, arg)
	if err != nil {
		return err
	}
	type row struct {
		Cycle  uint64  `json:"cycle"`
		Walker int     `json:"walker"`
		Weight float64 `json:"weight"`
		Target int     `json:"target"`
	}
	l.header("CYCLE", "WALKER", "WEIGHT", "TARGET", "CONDITION")
	for _, w := range lineage.Warps(hist) {
		r := row{w.Cycle, w.Walker, w.Weight, w.Target}
		if err := l.row(r, strconv.FormatUint(w.Cycle, 10), strconv.Itoa(w.Walker), fmtFloat(w.Weight), strconv.Itoa(w.Target), w.Cond); err != nil {
			return err
		}
	}
	return nil
}

// lsSizes reports, for every snapshot of the history ending at HASH, the
// bytes it added to the store: the snapshot object and the state and
// segment objects no earlier snapshot of the history references. Clones
// share a state object, so the states column shows how much resampling
// deduplicates.
func lsSizes(l *lister, st *store.Store, arg string) error {
	hist, err := historyOf(st, arg)
	if err != nil {
		return err
	}
	seen := map[record.Hash]bool{}
	type row struct {
		Hash      string `json:"hash"`
		Cycle     uint64 `json:"cycle"`
		Tool      string `json:"tool"`
		Walkers   int    `json:"walkers"`
		NewStates int    `json:"new_states"`
		Bytes     int64  `json:"bytes"`
	}
	size := func(k record.Kind, h record.Hash) int64 {
		n, _ := st.StoredSize(k, h) // a packed object's share of its frame
		return n
	}
	l.header("HASH", "CYCLE", "TOOL", "WALKERS", "NEW-STATES", "BYTES")
	var total int64
	for _, e := range hist {
		r := row{Hash: e.Hash.String(), Cycle: e.Snap.Cycle, Tool: e.Snap.Op.Tool, Walkers: len(e.Snap.Walkers)}
		r.Bytes = size(record.KindSnapshot, e.Hash)
		for _, w := range e.Snap.Walkers {
			if !seen[w.State] {
				seen[w.State] = true
				r.NewStates++
				r.Bytes += size(record.KindState, w.State)
			}
			if w.Segment != nil && !seen[*w.Segment] {
				seen[*w.Segment] = true
				r.Bytes += size(record.KindSegment, *w.Segment)
			}
		}
		total += r.Bytes
		if err := l.row(r, r.Hash[:16], strconv.FormatUint(r.Cycle, 10), r.Tool, strconv.Itoa(r.Walkers), strconv.Itoa(r.NewStates), strconv.FormatInt(r.Bytes, 10)); err != nil {
			return err
		}
	}
	if !l.json {
		fmt.Fprintf(l.tw, "total\t\t\t\t\t%d\n", total)
	}
	return nil
}
