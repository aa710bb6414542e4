// Package ports answers the shim's preflight question "is this published host
// port free, and if not, who holds it".
//
// Contract:
//
//   - Check binds the port exactly as the engine would (TCP listen or UDP bind on
//     the host IP, "" meaning every interface) and releases it at once. It returns
//     nil when the bind succeeds and a *ConflictError when the address is in use.
//     A port below 1024 that an unprivileged user may not bind is judged from the
//     kernel's socket table instead, since the engine runs as root. Any other bind
//     failure (an address this host does not have, IPv6 disabled) is returned
//     wrapped and is not a conflict. Port 0 (engine-chosen) and sctp are not checked.
//   - Describe is best effort: it names the process holding the port (Linux: the
//     /proc socket tables and fd links; macOS: lsof; elsewhere: nobody) and, when
//     that process is Docker's own (docker-proxy, dockerd, rootlesskit, Docker
//     Desktop) or invisible to us (another user, another pid namespace, or no
//     process at all), asks the ContainerFinder which container publishes it.
//     It never fails; it returns nil when it learns nothing.
//   - FromEngineError recognises the engine's own "port in use" failures, so the
//     race where the port is taken between Check and the start is reported with
//     the same ConflictError.
//   - CheckOnEngine and DescribeOnEngine are the same questions for an engine
//     on another machine (endpoint.Endpoint.OnThisMachine false), where a bind
//     here says nothing: only the engine is asked, for a running container of
//     its own publishing the port on an overlapping address (project and
//     service named). A holder that is not such a container shows only when
//     the engine fails to publish (FromEngineError), and is then reported as
//     on the engine's machine and not nameable from here, with the command
//     that names it there.
//
// The caller maps a conflict to exit code 4 (exitcode.PortConflict).
package ports
