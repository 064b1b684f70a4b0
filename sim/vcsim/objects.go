package main

import (
	"reflect"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Calls on the FileManager and every HostDatastoreBrowser go to these
// wrappers: they deliver injected faults through tasks and apply fidelity
// fixes, and otherwise call the simulator's own methods. The registry keeps
// the simulator's objects: its own code asserts their types (a VM's
// Destroy_Task reaches the FileManager), so the registry's Handler hands
// the wrappers out per call instead.

type fileManagerHook struct {
	*simulator.FileManager
	h *harness
}

type browserHook struct {
	*simulator.HostDatastoreBrowser
	h *harness
}

func (h *harness) installObjects(registry *simulator.Registry) {
	h.hooks = map[types.ManagedObjectReference]mo.Reference{}
	for _, obj := range registry.AllReference("FileManager") {
		h.hooks[obj.Reference()] = &fileManagerHook{obj.(*simulator.FileManager), h}
	}
	for _, obj := range registry.AllReference("HostDatastoreBrowser") {
		h.hooks[obj.Reference()] = &browserHook{obj.(*simulator.HostDatastoreBrowser), h}
	}
}

// task runs start unless a fault is pending for this call, and in vcenter
// fidelity mode points the resulting task at its datastore.
// Under a schedule the call returns only once its task has finished, so
// that the task's work happens in its caller's turn.
func (h *harness) task(ctx *simulator.Context, method, path string, start func() soap.HasFault) soap.HasFault {
	if d := h.pending.take(ctx.Header.ID); d != nil {
		ref := failTask(ctx, method, path, d.fault)
		h.awaitScheduled(ctx, ref)
		return taskBody(method, ref)
	}
	res := start()
	if ref := taskRef(res); ref != nil {
		if h.fidelity == fidelityVCenter {
			setTaskInfo(ctx, *ref, method, path)
		}
		h.awaitScheduled(ctx, *ref)
	}
	return res
}

func (h *harness) awaitScheduled(ctx *simulator.Context, ref types.ManagedObjectReference) {
	if !h.schedule.active() {
		return
	}
	task, ok := ctx.Map.Get(ref).(*simulator.Task)
	if !ok {
		return
	}
	// Not Task.Wait: it polls every 10 ms, real time that every scheduled
	// file call would pay. The bound only guards against a task that never
	// ends; the client then polls it as usual.
	for deadline := time.Now().Add(taskAwaitLimit); time.Now().Before(deadline); {
		var state types.TaskInfoState
		ctx.Map.WithLock(&simulator.Context{}, task, func() { state = task.Info.State })
		if state == types.TaskInfoStateSuccess || state == types.TaskInfoStateError {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

const taskAwaitLimit = 10 * time.Second

// taskRef is the task a *_TaskBody response returns (nil on a fault):
// every generated body has Res.Returnval.
func taskRef(res soap.HasFault) *types.ManagedObjectReference {
	body := reflect.ValueOf(res).Elem().FieldByName("Res")
	if !body.IsValid() || body.IsNil() {
		return nil
	}
	ref, ok := body.Elem().FieldByName("Returnval").Interface().(types.ManagedObjectReference)
	if !ok {
		return nil
	}
	return &ref
}

func taskBody(method string, ref types.ManagedObjectReference) soap.HasFault {
	switch method {
	case "DeleteDatastoreFile_Task":
		return &methods.DeleteDatastoreFile_TaskBody{Res: &types.DeleteDatastoreFile_TaskResponse{Returnval: ref}}
	case "SearchDatastore_Task":
		return &methods.SearchDatastore_TaskBody{Res: &types.SearchDatastore_TaskResponse{Returnval: ref}}
	case "SearchDatastoreSubFolders_Task":
		return &methods.SearchDatastoreSubFolders_TaskBody{Res: &types.SearchDatastoreSubFolders_TaskResponse{Returnval: ref}}
	case "CopyDatastoreFile_Task":
		return &methods.CopyDatastoreFile_TaskBody{Res: &types.CopyDatastoreFile_TaskResponse{Returnval: ref}}
	default: // "MoveDatastoreFile_Task"
		return &methods.MoveDatastoreFile_TaskBody{Res: &types.MoveDatastoreFile_TaskResponse{Returnval: ref}}
	}
}

func (f *fileManagerHook) DeleteDatastoreFileTask(ctx *simulator.Context, req *types.DeleteDatastoreFile_Task) soap.HasFault {
	return f.h.task(ctx, "DeleteDatastoreFile_Task", req.Name,
		func() soap.HasFault { return f.FileManager.DeleteDatastoreFileTask(ctx, req) })
}

func (f *fileManagerHook) CopyDatastoreFileTask(ctx *simulator.Context, req *types.CopyDatastoreFile_Task) soap.HasFault {
	return f.h.task(ctx, "CopyDatastoreFile_Task", req.SourceName,
		func() soap.HasFault { return f.FileManager.CopyDatastoreFileTask(ctx, req) })
}

func (f *fileManagerHook) MoveDatastoreFileTask(ctx *simulator.Context, req *types.MoveDatastoreFile_Task) soap.HasFault {
	return f.h.task(ctx, "MoveDatastoreFile_Task", req.SourceName,
		func() soap.HasFault { return f.FileManager.MoveDatastoreFileTask(ctx, req) })
}

// MakeDirectory, in vcenter fidelity mode with createParentDirectories:
// an existing folder is FileAlreadyExists; only a missing parent makes it
// create the parents.
func (f *fileManagerHook) MakeDirectory(ctx *simulator.Context, req *types.MakeDirectory) soap.HasFault {
	if f.h.fidelity != fidelityVCenter || req.CreateParentDirectories == nil || !*req.CreateParentDirectories {
		return f.FileManager.MakeDirectory(ctx, req)
	}
	exact := *req
	exact.CreateParentDirectories = types.NewBool(false)
	res := f.FileManager.MakeDirectory(ctx, &exact)
	if fault := res.Fault(); fault != nil {
		if _, missing := fault.Detail.Fault.(*types.FileNotFound); missing {
			return f.FileManager.MakeDirectory(ctx, req)
		}
	}
	return res
}

func (b *browserHook) SearchDatastoreTask(ctx *simulator.Context, req *types.SearchDatastore_Task) soap.HasFault {
	return b.h.task(ctx, "SearchDatastore_Task", req.DatastorePath,
		func() soap.HasFault { return b.HostDatastoreBrowser.SearchDatastoreTask(ctx, req) })
}

func (b *browserHook) SearchDatastoreSubFoldersTask(ctx *simulator.Context, req *types.SearchDatastoreSubFolders_Task) soap.HasFault {
	return b.h.task(ctx, "SearchDatastoreSubFolders_Task", req.DatastorePath,
		func() soap.HasFault { return b.HostDatastoreBrowser.SearchDatastoreSubFoldersTask(ctx, req) })
}
