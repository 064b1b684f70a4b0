"""The harness's ground floor: everything that touches a datastore on the
harness's side, independent of any implementation under test.

``session`` (plain pyvmomi), ``datastore`` (files and folders), ``marks``
(the harness's own notion of a mark), ``tree`` with ``inspector`` and
``layout`` (a cache tree read back and laid out), ``run_folder`` (the folder
a run owns, and the run's skeleton around it) and ``guard`` (the fence in
front of a real vCenter).
"""
