package main

import (
	"reflect"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The simulator's own methods take a call's managed-object arguments on
// trust: FileManager asserts its datacenter argument is a Datacenter, and
// the assertion panics while the FileManager's lock is held (every later
// FileManager call then hangs) or in a task's goroutine (the process
// exits). So every reference argument of a call is checked before the
// method runs, as vCenter checks them: it must name an object of the
// registry (the session's or the simulator's) of the type it says, and an
// argument of a known type must be of that type.

// argumentTypes: the type a reference argument must have, by its field.
var argumentTypes = map[string]string{
	"Datacenter":            "Datacenter",
	"SourceDatacenter":      "Datacenter",
	"DestinationDatacenter": "Datacenter",
}

var referenceType = reflect.TypeOf(types.ManagedObjectReference{})

// checkReferences is the fault for the first reference argument of the call
// that is unknown or of the wrong type, or nil. Only the request's own
// fields: a property collector's specs name objects it answers about (a
// missing one is its to report, and it does).
func checkReferences(ctx *simulator.Context, m *simulator.Method) types.BaseMethodFault {
	body := reflect.ValueOf(m.Body)
	for body.Kind() == reflect.Pointer || body.Kind() == reflect.Interface {
		if body.IsNil() {
			return nil
		}
		body = body.Elem()
	}
	if body.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i < body.NumField(); i++ {
		name := body.Type().Field(i).Name
		for _, ref := range references(body.Field(i)) {
			if lookup(ctx, ref) == nil {
				return &types.ManagedObjectNotFound{Obj: ref}
			}
			if want, ok := argumentTypes[name]; ok && ref.Type != want {
				return &types.InvalidArgument{InvalidProperty: lowerFirst(name)}
			}
		}
	}
	return nil
}

// references are the ManagedObjectReferences a field holds: itself, what
// it points to, or the elements of a list of them.
func references(v reflect.Value) []types.ManagedObjectReference {
	switch {
	case v.Type() == referenceType:
		return []types.ManagedObjectReference{v.Interface().(types.ManagedObjectReference)}
	case v.Kind() == reflect.Pointer && v.Type().Elem() == referenceType:
		if v.IsNil() {
			return nil
		}
		return []types.ManagedObjectReference{v.Elem().Interface().(types.ManagedObjectReference)}
	case v.Kind() == reflect.Slice && v.Type().Elem() == referenceType:
		refs := make([]types.ManagedObjectReference, v.Len())
		for i := range refs {
			refs[i] = v.Index(i).Interface().(types.ManagedObjectReference)
		}
		return refs
	}
	return nil
}

// lookup is the object ref names, in the caller's session first (its views
// and collectors), else in the simulator's registry; nil if none. The
// registry is keyed by type and value: a known value under another type is
// no object.
func lookup(ctx *simulator.Context, ref types.ManagedObjectReference) mo.Reference {
	if ctx.Session != nil {
		if obj := ctx.Session.Get(ref); obj != nil {
			return obj
		}
	}
	return ctx.Map.Get(ref)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}
