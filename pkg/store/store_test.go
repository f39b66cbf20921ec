package store

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

func TestOpen(t *testing.T) {
	root := t.TempDir()
	notStore := filepath.Join(root, "plain")
	os.Mkdir(notStore, 0o755)
	os.WriteFile(filepath.Join(notStore, "notes.txt"), []byte("hello"), 0o644)
	aFile := filepath.Join(root, "file")
	os.WriteFile(aFile, nil, 0o644)
	newer := filepath.Join(root, "newer")
	os.Mkdir(newer, 0o755)
	os.WriteFile(filepath.Join(newer, markerName), []byte("wepipe store\nlayout 2\n"), 0o644)
	alien := filepath.Join(root, "alien")
	os.Mkdir(alien, 0o755)
	os.WriteFile(filepath.Join(alien, markerName), []byte("something else\n"), 0o644)

	for _, c := range []struct {
		name, dir string
		noStore   bool
		parts     []string
	}{
		{"missing directory", filepath.Join(root, "nope"), true, []string{"nope", "does not exist"}},
		{"not a store", notStore, true, []string{notStore, "no wepipe-store marker"}},
		{"a file", aFile, true, []string{aFile, "not a directory"}},
		{"unknown layout", newer, false, []string{newer, `"layout 2" is not supported`, "upgrade"}},
		{"foreign marker", alien, true, []string{alien, "unrecognised"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := listTree(t, root)
			s, err := Open(c.dir)
			if s != nil {
				t.Fatal("Open returned a store")
			}
			wantErr(t, err, c.parts...)
			if errors.Is(err, ErrNoStore) != c.noStore {
				t.Errorf("errors.Is(%v, ErrNoStore) = %v", err, !c.noStore)
			}
			if after := listTree(t, root); !reflect.DeepEqual(before, after) {
				t.Errorf("Open changed the tree:\n%v\n%v", before, after)
			}
		})
	}
}

// listTree lists every path under root.
func listTree(t *testing.T, root string) []string {
	var out []string
	filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		out = append(out, p)
		return err
	})
	return out
}

func TestCreate(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "store")
	s, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range record.Kinds {
		if st, err := os.Stat(filepath.Join(dir, objectsDir, string(k))); err != nil || !st.IsDir() {
			t.Errorf("no %s directory: %v", k, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, markerName)); string(b) != markerContent {
		t.Errorf("marker %q", b)
	}
	h := mustPut(t, s, makeState(stream("create", 0), 2))
	// Create on an existing store opens it and keeps its objects.
	s2, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Has(record.KindState, h) {
		t.Error("Create on an existing store lost an object")
	}
	if len(tempFiles(t, s2)) != 0 {
		t.Errorf("temp files left: %v", tempFiles(t, s2))
	}

	t.Run("empty directory", func(t *testing.T) {
		d := filepath.Join(root, "empty")
		os.Mkdir(d, 0o755)
		if _, err := Create(d); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("interrupted creation", func(t *testing.T) {
		// A crash before the marker leaves the directories only.
		d := filepath.Join(root, "half")
		os.MkdirAll(filepath.Join(d, tmpDir), 0o755)
		os.MkdirAll(filepath.Join(d, objectsDir, "state"), 0o755)
		if _, err := Create(d); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("foreign directory", func(t *testing.T) {
		d := filepath.Join(root, "foreign")
		os.Mkdir(d, 0o755)
		os.WriteFile(filepath.Join(d, "thesis.tex"), nil, 0o644)
		_, err := Create(d)
		wantErr(t, err, d, "thesis.tex", "not a wepipe store")
		if _, err := os.Stat(filepath.Join(d, objectsDir)); err == nil {
			t.Error("Create wrote into a foreign directory")
		}
	})
	t.Run("unknown layout", func(t *testing.T) {
		d := filepath.Join(root, "newer")
		os.Mkdir(d, 0o755)
		os.WriteFile(filepath.Join(d, markerName), []byte("wepipe store\nlayout 9\n"), 0o644)
		_, err := Create(d)
		wantErr(t, err, d, "layout 9")
		if ents, _ := os.ReadDir(d); len(ents) != 1 {
			t.Errorf("Create changed a store of another layout: %v", ents)
		}
	})
}

// objectsOfEveryKind writes one object of every kind and returns them by
// hash.
func objectsOfEveryKind(t *testing.T, s *Store) map[record.Hash]record.Object {
	r := stream("every", 0)
	st := makeState(r, 5)
	sg := makeSegment(r, 3, 5)
	hst := mustPut(t, s, st)
	hsg := mustPut(t, s, sg)
	sys := makeSystem(5, hst)
	hsys := mustPut(t, s, sys)
	sn := makeSnapshot(0, hsys, []record.Hash{hst}, []*record.Hash{&hsg})
	hsn := mustPut(t, s, sn)
	run := record.NewRun()
	run.Start, run.End, run.Cycles, run.Status = hsn, hsn, 0, record.RunDone
	run.Config = record.RunConfig{Step: map[string]string{}, Resample: map[string]string{}, Engine: "langevin", Shards: 1, Version: "1"}
	run.Began, run.Ended, run.Build = "2026-12-02T10:00:00Z", "2026-12-02T10:00:01.5Z", "test"
	run.Wall = 1.5
	hrun := mustPut(t, s, run)
	return map[record.Hash]record.Object{hst: st, hsg: sg, hsys: sys, hsn: sn, hrun: run}
}

func TestRoundTrip(t *testing.T) {
	s := newStore(t)
	objs := objectsOfEveryKind(t, s)
	for h, o := range objs {
		k := o.ObjectKind()
		t.Run(string(k), func(t *testing.T) {
			want, wh, err := record.Encode(o)
			if err != nil {
				t.Fatal(err)
			}
			if wh != h {
				t.Fatalf("Put returned %s, Encode %s", h.Short(), wh.Short())
			}
			data, gk, err := s.Get(h)
			if err != nil || gk != k || !bytes.Equal(data, want) {
				t.Fatalf("Get: kind %s, err %v, equal %v", gk, err, bytes.Equal(data, want))
			}
			if data, err = s.GetKind(k, h); err != nil || !bytes.Equal(data, want) {
				t.Fatalf("GetKind: %v", err)
			}
			got, err := s.Load(h)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, o) {
				t.Errorf("Load: got %+v, want %+v", got, o)
			}
			if k2, err := s.Kind(h); err != nil || k2 != k {
				t.Errorf("Kind: %s, %v", k2, err)
			}
			// The file is the zstd frame of the canonical bytes (`zstd -dc
			// FILE | sha256sum` names it).
			z, err := s.ReadFile(k, h)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := Decompress(z)
			if err != nil || record.Sum(raw) != h {
				t.Errorf("file does not decompress to its name: %v", err)
			}
		})
	}
	// LoadAs, one per type, and a type that does not match.
	for h, o := range objs {
		var got record.Object
		var err error
		switch o.(type) {
		case *record.State:
			got, err = LoadAs[*record.State](s, h)
		case *record.Segment:
			got, err = LoadAs[*record.Segment](s, h)
		case *record.System:
			got, err = LoadAs[*record.System](s, h)
		case *record.Snapshot:
			got, err = LoadAs[*record.Snapshot](s, h)
			_, werr := LoadAs[*record.State](s, h)
			wantErr(t, werr, h.Short(), "is a snapshot, not a state")
		case *record.Run:
			got, err = LoadAs[*record.Run](s, h)
		}
		if err != nil || !reflect.DeepEqual(got, o) {
			t.Errorf("LoadAs %s: %v", o.ObjectKind(), err)
		}
	}
	var missing record.Hash
	missing[0] = 1
	for name, err := range map[string]error{
		"Get":    func() error { _, _, err := s.Get(missing); return err }(),
		"Load":   func() error { _, err := s.Load(missing); return err }(),
		"LoadAs": func() error { _, err := LoadAs[*record.State](s, missing); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), missing.Short()) {
			t.Errorf("%s of a missing object: %v", name, err)
		}
	}
	checkClean(t, s)
}

// TestRoundTripBits checks that every float survives bit for bit,
// including signed zeros, subnormals and extremes.
func TestRoundTripBits(t *testing.T) {
	s := newStore(t)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "atoms")
		fin := rapid.Float64().Filter(func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) })
		st := record.NewState()
		st.Positions = codec.NewArray(rapid.SliceOfN(fin, 3*n, 3*n).Draw(t, "pos"), n, 3)
		st.Velocities = codec.NewArray(rapid.SliceOfN(fin, 3*n, 3*n).Draw(t, "vel"), n, 3)
		st.Time = fin.Draw(t, "time")
		h, err := s.Put(st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadAs[*record.State](s, h)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range st.Positions.Data {
			if math.Float64bits(got.Positions.Data[i]) != math.Float64bits(x) {
				t.Fatalf("position %d: %v became %v", i, x, got.Positions.Data[i])
			}
		}
		for i, x := range st.Velocities.Data {
			if math.Float64bits(got.Velocities.Data[i]) != math.Float64bits(x) {
				t.Fatalf("velocity %d: %v became %v", i, x, got.Velocities.Data[i])
			}
		}
	})
}

func TestCompressRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 1<<16).Draw(t, "data")
		got, err := Decompress(Compress(data))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %d bytes: %v", len(data), err)
		}
	})
}

// TestIdempotent writes every object twice, small and large (the large
// one takes the concurrent path), and checks the second write leaves the
// file alone and no temp file behind.
func TestIdempotent(t *testing.T) {
	s := newStore(t)
	r := stream("idem", 0)
	for _, n := range []int{2, 12000} {
		st := makeState(r, n)
		h := mustPut(t, s, st)
		p := s.Path(record.KindState, h)
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if h2 := mustPut(t, s, st); h2 != h {
			t.Fatalf("second Put: hash %s, first %s", h2.Short(), h.Short())
		}
		it, err := NewItem(st)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutItems([]Item{it, it}); err != nil {
			t.Fatal(err)
		}
		sameFile(t, p, info)
		if tmp := tempFiles(t, s); len(tmp) != 0 {
			t.Errorf("%d atoms: temp files left: %v", n, tmp)
		}
	}
	// The same object twice in one new batch is written once.
	it, _ := NewItem(makeState(r, 2))
	if err := s.PutItems([]Item{it, it}); err != nil {
		t.Fatal(err)
	}
	if !s.Has(record.KindState, it.Hash) {
		t.Error("batch of a repeated item wrote nothing")
	}
}

func TestPutItemsBatches(t *testing.T) {
	// Both durability paths: one fsync per file, and one syncfs for a
	// batch of more than syncfsMin objects, also across directories.
	for _, syncfs := range []bool{false, true} {
		old := syncfsOK
		syncfsOK = syncfs && old
		s := newStore(t)
		r := stream("batches", 0)
		var items []Item
		for i := 0; i < 3*syncfsMin; i++ {
			var o record.Object = makeState(r, 2)
			if i%3 == 0 {
				o = makeSegment(r, 2, 2)
			}
			it, err := NewItem(o)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
		for _, batch := range [][]Item{items[:2], items} {
			if err := s.PutItems(batch); err != nil {
				t.Fatal(err)
			}
		}
		syncfsOK = old
		for _, it := range items {
			if _, err := s.GetKind(it.Kind, it.Hash); err != nil {
				t.Error(err)
			}
		}
		if tmp := tempFiles(t, s); len(tmp) != 0 {
			t.Errorf("temp files left: %v", tmp)
		}
		err := s.PutItems([]Item{{Kind: "widget", Data: []byte{0xa0}}})
		wantErr(t, err, "unknown kind", "widget")
	}
}

func TestCheckRefs(t *testing.T) {
	s := newStore(t)
	r := stream("refs", 0)
	st := makeState(r, 3)
	hst, _ := NewItem(st) // not written
	hsys := mustPut(t, s, makeSystem(3, mustPut(t, s, makeState(r, 3))))
	sn := makeSnapshot(0, hsys, []record.Hash{hst.Hash}, nil)
	h, err := s.Put(sn)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Put of a snapshot whose state is missing: %v", err)
	}
	wantErr(t, err, "walkers[0].state", hst.Hash.Short())
	if want, _ := NewItem(sn); h != want.Hash {
		t.Errorf("Put returned %s, want the snapshot's hash %s", h.Short(), want.Hash.Short())
	}
	if hs, _ := s.List(record.KindSnapshot); len(hs) != 0 {
		t.Errorf("refused snapshot written: %v", hs)
	}
	if tmp := tempFiles(t, s); len(tmp) != 0 {
		t.Errorf("refused snapshot left temp files: %v", tmp)
	}
	// A reference to an object of the wrong kind is refused too.
	bad := makeSnapshot(0, hsys, []record.Hash{hsys}, nil)
	_, err = s.Put(bad)
	wantErr(t, err, "walkers[0].state", hsys.Short(), "is a system, not a state")
	// CheckRefs looks at references only: a snapshot without walkers is
	// invalid, but all it references exists.
	if err := s.CheckRefs(makeSnapshot(0, hsys, nil, nil)); err != nil {
		t.Errorf("CheckRefs of a snapshot whose references exist: %v", err)
	}
	mustPut(t, s, st)
	if _, err := s.Put(sn); err != nil {
		t.Fatalf("once the state exists: %v", err)
	}
	checkClean(t, s)
}

// collidingStates returns two states whose hashes share their first 8 hex
// digits: by the birthday bound about 2^16 candidates suffice.
func collidingStates(t *testing.T) (a, b *record.State, ha, hb record.Hash) {
	seen := map[[4]byte]uint64{}
	st := makeState(stream("collide", 0), 1)
	for step := uint64(0); step < 1<<22; step++ {
		st.Step = step
		_, h, err := record.Encode(st)
		if err != nil {
			t.Fatal(err)
		}
		key := [4]byte(h[:4])
		if prev, ok := seen[key]; ok {
			a = makeState(stream("collide", 0), 1)
			a.Step = prev
			_, ha, _ = record.Encode(a)
			b = makeState(stream("collide", 0), 1)
			b.Step = step
			return a, b, ha, h
		}
		seen[key] = step
	}
	t.Fatal("no colliding prefix found")
	return
}

func TestResolve(t *testing.T) {
	s := newStore(t)
	a, b, ha, hb := collidingStates(t)
	mustPut(t, s, a)
	mustPut(t, s, b)
	hsys := mustPut(t, s, makeSystem(1, ha))
	common := 8
	for ha.String()[common] == hb.String()[common] {
		common++
	}
	// A stray file whose name starts like a and b is not an object.
	os.WriteFile(filepath.Join(s.kindDir(record.KindState), strings.ToUpper(ha.String())), nil, 0o644)

	for _, c := range []struct {
		name, in string
		want     record.Hash
		kind     record.Kind
		is       error
		parts    []string
	}{
		{"full", hsys.String(), hsys, record.KindSystem, nil, nil},
		{"full upper case", strings.ToUpper(ha.String()), ha, record.KindState, nil, nil},
		{"prefix", hsys.String()[:MinPrefix], hsys, record.KindSystem, nil, nil},
		{"prefix with spaces", " " + hsys.String()[:12] + "\n", hsys, record.KindSystem, nil, nil},
		{"disambiguated", hb.String()[:common+1], hb, record.KindState, nil, nil},
		{"too short", hsys.String()[:MinPrefix-1], record.Hash{}, "", nil, []string{"at least 8 hex digits"}},
		{"not hex", "zz" + hsys.String()[2:10], record.Hash{}, "", nil, []string{"not a hash"}},
		{"too long", hsys.String() + "0", record.Hash{}, "", nil, []string{"not a hash"}},
		{"unknown prefix", unknownPrefix(s), record.Hash{}, "", ErrNotFound, []string{"not in the store"}},
		{"unknown full", strings.Repeat("0", 64), record.Hash{}, "", ErrNotFound, []string{"000000000000"}},
		{"ambiguous", ha.String()[:8], record.Hash{}, "", ErrAmbiguous, []string{"2 objects", ha.Short(), hb.Short(), "more digits"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, k, err := s.Resolve(c.in)
			if c.parts == nil {
				if err != nil || h != c.want || k != c.kind {
					t.Fatalf("Resolve(%q) = %s %s %v, want %s %s", c.in, h.Short(), k, err, c.want.Short(), c.kind)
				}
				return
			}
			wantErr(t, err, c.parts...)
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
		})
	}
}

// unknownPrefix returns an 8-digit prefix of no object in s.
func unknownPrefix(s *Store) string {
	for _, p := range []string{"00000000", "11111111", "22222222"} {
		if _, _, err := s.Resolve(p); errors.Is(err, ErrNotFound) {
			return p
		}
	}
	return "33333333"
}

func TestList(t *testing.T) {
	s := newStore(t)
	r := stream("list", 0)
	var want []record.Hash
	for i := 0; i < 5; i++ {
		want = append(want, mustPut(t, s, makeState(r, 2)))
	}
	dir := s.kindDir(record.KindState)
	strays := []string{"README", strings.ToUpper(want[0].String()), want[1].String()[:63], want[2].String() + ".tmp", want[3].String() + "0"}
	for _, name := range strays {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	got, err := s.List(record.KindState)
	if err != nil {
		t.Fatal(err)
	}
	sortHashes(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List = %d hashes, want %d", len(got), len(want))
	}
	if hs, err := s.List(record.KindSnapshot); err != nil || len(hs) != 0 {
		t.Errorf("List of an empty kind: %v %v", hs, err)
	}
	// Check reports every stray name.
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != len(strays)+1 {
		t.Errorf("Check found %d problems, want %d: %v", len(rep.Problems), len(strays)+1, rep.Problems)
	}
}

func sortHashes(hs []record.Hash) {
	for i := range hs {
		for j := i + 1; j < len(hs); j++ {
			if bytes.Compare(hs[j][:], hs[i][:]) < 0 {
				hs[i], hs[j] = hs[j], hs[i]
			}
		}
	}
}

func TestMemo(t *testing.T) {
	s := newStore(t)
	r := stream("memo", 0)
	h1 := mustPut(t, s, makeState(r, 2))
	h2 := mustPut(t, s, makeState(r, 2))
	key := MemoKey("we-step", "1", h1.String())
	if _, ok := s.Memo(key); ok {
		t.Fatal("hit before PutMemo")
	}
	if err := s.PutMemo(key, h1, h2); err != nil {
		t.Fatal(err)
	}
	if hs, ok := s.Memo(key); !ok || !reflect.DeepEqual(hs, []record.Hash{h1, h2}) {
		t.Fatalf("Memo = %v %v", hs, ok)
	}
	empty := MemoKey("empty")
	if err := s.PutMemo(empty); err != nil {
		t.Fatal(err)
	}
	if hs, ok := s.Memo(empty); !ok || len(hs) != 0 {
		t.Errorf("memo of no hashes: %v %v", hs, ok)
	}
	if MemoKey("a", "bc") == MemoKey("ab", "c") || MemoKey("a") == MemoKey("a", "") {
		t.Error("MemoKey does not separate its parts")
	}

	var gone record.Hash
	gone[0] = 7
	path := filepath.Join(s.Dir(), memoDir, "")
	for _, c := range []struct{ name, content string }{
		{"empty file", ""},
		{"no newline", h1.String()},
		{"truncated hash", h1.String()[:40] + "\n"},
		{"garbage", "hello world\n"},
		{"two spaces", h1.String() + "  " + h2.String() + "\n"},
		{"upper case", strings.ToUpper(h1.String()) + "\n"},
		{"dangling", h1.String() + " " + gone.String() + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := MemoKey("damaged", c.name)
			os.WriteFile(filepath.Join(path, hexKey(k)), []byte(c.content), 0o644)
			if hs, ok := s.Memo(k); ok {
				t.Errorf("damaged memo %q is a hit: %v", c.content, hs)
			}
		})
	}
	// Quarantining an object a memo names turns the memo into a miss.
	os.Chmod(s.Path(record.KindState, h2), 0o644)
	os.WriteFile(s.Path(record.KindState, h2), []byte("x"), 0o644)
	if _, err := s.Check(CheckOptions{Quarantine: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Memo(key); ok {
		t.Error("memo naming a quarantined object is a hit")
	}
}

func hexKey(k [32]byte) string { return record.Hash(k).String() }

// TestLoadKeepsNoBuffer checks that a loaded record shares no memory with
// the pooled buffer it was decoded from: loading more objects, which
// reuses the buffer, must not change it. Decoders copy what they keep (the
// cbor.Unmarshaler contract); this holds them to it for floats and bytes.
func TestLoadKeepsNoBuffer(t *testing.T) {
	s := newStore(t)
	r := stream("nobuffer", 0)
	var hs []record.Hash
	var want []*record.State
	for i := 0; i < 3; i++ {
		st := makeState(r, 3000) // 144 kB of CBOR: a pooled buffer
		want = append(want, st)
		hs = append(hs, mustPut(t, s, st))
	}
	sys := mustPut(t, s, makeSystem(3000, hs[0]))
	var snaps []record.Hash
	var blobs [][]byte
	for i := 0; i < 3; i++ {
		sn := makeSnapshot(uint64(i), sys, hs[:1], nil)
		blob := make([]byte, 100<<10)
		for j := range blob {
			blob[j] = byte(r.IntN(256))
		}
		sn.Resampler = &record.Resampler{Name: "test", State: blob}
		blobs = append(blobs, blob)
		snaps = append(snaps, mustPut(t, s, sn))
	}
	var got []*record.State
	var gotSnaps []*record.Snapshot
	for i := range hs {
		st, err := LoadAs[*record.State](s, hs[i])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, st)
		sn, err := LoadAs[*record.Snapshot](s, snaps[i])
		if err != nil {
			t.Fatal(err)
		}
		gotSnaps = append(gotSnaps, sn)
	}
	for i := range got {
		if !reflect.DeepEqual(got[i].Positions, want[i].Positions) || !reflect.DeepEqual(got[i].Velocities, want[i].Velocities) {
			t.Errorf("state %d changed after later loads", i)
		}
		if !bytes.Equal(gotSnaps[i].Resampler.State, blobs[i]) {
			t.Errorf("snapshot %d's resampler state changed after later loads", i)
		}
	}
}

func TestMemoRaw(t *testing.T) {
	s := newStore(t)
	key := MemoKey("progress", "1")
	if _, ok := s.ReadMemo(key); ok {
		t.Fatal("entry before WriteMemo")
	}
	for _, content := range []string{"first\n", "second, longer\n"} {
		if err := s.WriteMemo(key, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, ok := s.ReadMemo(key); !ok || string(b) != content {
			t.Fatalf("ReadMemo = %q %v, want %q", b, ok, content)
		}
	}
	for i := 0; i < 2; i++ { // removing a missing entry is not an error
		if err := s.RemoveMemo(key); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := s.ReadMemo(key); ok {
		t.Error("entry after RemoveMemo")
	}
	// A store without memo/ (an older layout) gets one.
	os.RemoveAll(filepath.Join(s.Dir(), memoDir))
	if err := s.WriteMemo(key, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, ok := s.ReadMemo(key); !ok || string(b) != "x" {
		t.Errorf("after recreating memo/: %q %v", b, ok)
	}
	if tmp := tempFiles(t, s); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestPutAfter(t *testing.T) {
	s := newStore(t)
	r := stream("after", 0)
	st := mustPut(t, s, makeState(r, 2))
	sys := mustPut(t, s, makeSystem(2, st))
	absent, _ := NewItem(makeState(r, 2))
	sn := makeSnapshot(1, sys, []record.Hash{st, absent.Hash}, nil)
	// A reference not in written is checked.
	_, err := s.PutAfter(sn, map[record.Hash]bool{st: true})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutAfter with a missing reference: %v", err)
	}
	wantErr(t, err, "walkers[1].state", absent.Hash.Short())
	if hs, _ := s.List(record.KindSnapshot); len(hs) != 0 {
		t.Fatal("refused snapshot written")
	}
	// References in written are trusted: the writer made them durable.
	if err := s.PutItems([]Item{absent}); err != nil {
		t.Fatal(err)
	}
	h, err := s.PutAfter(sn, map[record.Hash]bool{st: true, absent.Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := LoadAs[*record.Snapshot](s, h); err != nil || !reflect.DeepEqual(got, sn) {
		t.Errorf("LoadAs after PutAfter: %v", err)
	}
	// A reference of the wrong kind not in written is refused.
	_, err = s.PutAfter(makeSnapshot(2, st, []record.Hash{st}, nil), nil)
	wantErr(t, err, "system", st.Short(), "is a state, not a system")
	checkClean(t, s)
}

// TestLaterKindDirectory: a store made before the run kind existed has no
// objects/run/; listing runs there finds none, and the first run written
// (directly or by a union) creates the directory.
func TestLaterKindDirectory(t *testing.T) {
	src := newStore(t)
	objs := objectsOfEveryKind(t, src)
	old1, old2 := newStore(t), newStore(t)
	for _, dst := range []*Store{old1, old2} {
		if err := os.Remove(dst.kindDir(record.KindRun)); err != nil {
			t.Fatal(err)
		}
		if hs, err := dst.List(record.KindRun); err != nil || len(hs) != 0 {
			t.Fatalf("runs in an old store: %v %v", hs, err)
		}
	}
	if _, err := old1.Union(src); err != nil {
		t.Fatal(err)
	}
	for h, o := range objs {
		if o.ObjectKind() == record.KindRun && !old1.Has(record.KindRun, h) {
			t.Fatal("the union did not copy the run")
		}
	}
	checkClean(t, old1)
	// References first, the run last (the first run makes objects/run/).
	for _, k := range []record.Kind{record.KindState, record.KindSegment, record.KindSystem, record.KindSnapshot, record.KindRun} {
		for _, o := range objs {
			if o.ObjectKind() == k {
				mustPut(t, old2, o)
			}
		}
	}
	checkClean(t, old2)
}
