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
// that is unknown or of the wrong type, or nil. A reference inside an
// argument (a property collector's ObjectSpec) must name an object too;
// whether its type suits the spec is the collector's to answer (with no
// properties, as vCenter does).
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
			if want, ok := argumentTypes[name]; ok && ref.Type != want {
				return &types.InvalidArgument{InvalidProperty: lowerFirst(name)}
			}
		}
		var fault types.BaseMethodFault
		walk(body.Field(i), func(ref types.ManagedObjectReference) bool {
			if lookup(ctx, ref) == nil {
				fault = &types.ManagedObjectNotFound{Obj: ref}
			}
			return fault == nil
		})
		if fault != nil {
			return fault
		}
	}
	return nil
}

// walk calls visit with every reference in v, at any depth, until it says stop.
func walk(v reflect.Value, visit func(types.ManagedObjectReference) bool) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || walk(v.Elem(), visit)
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if !walk(v.Index(i), visit) {
				return false
			}
		}
	case reflect.Struct:
		if v.Type() == referenceType {
			return visit(v.Interface().(types.ManagedObjectReference))
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && !walk(v.Field(i), visit) {
				return false
			}
		}
	}
	return true
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
// no object. A session hands out its view of a singleton for any value of
// the singleton's type (any "SessionManager"): only the singleton's own
// reference names it, as on vCenter.
func lookup(ctx *simulator.Context, ref types.ManagedObjectReference) mo.Reference {
	if ctx.Session != nil {
		if obj := ctx.Session.Get(ref); obj != nil && obj.Reference() == ref {
			return obj
		}
	}
	if obj := ctx.Map.Get(ref); obj != nil && obj.Reference() == ref {
		return obj
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}
