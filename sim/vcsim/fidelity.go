package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// In vcenter fidelity mode the harness mends where the simulator differs
// from vCenter in ways that matter to the image cache:
//   - a search without searchSpec panics the simulator, and an empty
//     matchPattern matches nothing: vCenter returns every entry;
//   - file and search tasks carry an entity pyvmomi cannot read (the
//     FileManager, or the browser until the task runs), and a name that is
//     no method ("SearchDatastore"): make them the datastore and the SOAP
//     method, as vCenter reports them;
//   - MakeDirectory(createParentDirectories=true) on an existing folder
//     succeeds: vCenter raises FileAlreadyExists.
//
// In stock mode the simulator behaves exactly as upstream.
const (
	fidelityVCenter = "vcenter"
	fidelityStock   = "stock"
)

func parseFidelity(s string) (string, error) {
	if s != fidelityVCenter && s != fidelityStock {
		return "", fmt.Errorf("-fidelity: %q is not %s or %s", s, fidelityVCenter, fidelityStock)
	}
	return s, nil
}

func matchAll(spec *types.HostDatastoreBrowserSearchSpec) *types.HostDatastoreBrowserSearchSpec {
	if spec == nil {
		spec = &types.HostDatastoreBrowserSearchSpec{}
	}
	if len(spec.MatchPattern) == 0 {
		spec.MatchPattern = []string{"*"}
	}
	return spec
}

// setTaskInfo points a task at the datastore its path names and names it
// after its SOAP method.
func setTaskInfo(ctx *simulator.Context, ref types.ManagedObjectReference, method, path string) {
	task, ok := ctx.Map.Get(ref).(*simulator.Task)
	if !ok {
		return
	}
	entity := taskEntity(ctx, datastoreName(path))
	self := entity.Reference()
	ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{
		{Name: "info.entity", Val: &self},
		{Name: "info.entityName", Val: entity.(mo.Entity).Entity().Name},
		{Name: "info.name", Val: method},
	})
}
