"""Errors raised by the simulator layer; each message says what to do next."""


class SimulatorError(Exception):
    """Base class of every error the ``sim`` package raises."""


class BuildError(SimulatorError):
    """The simulator binary or its Docker image could not be built."""


class BackendUnavailable(SimulatorError):
    """The requested backend cannot run here (no Docker engine, no binary...)."""


class StartError(SimulatorError):
    """The simulator was launched but did not become ready.

    ``output`` holds the tail of what the simulator printed, which usually
    names the cause (a port in use, a bad flag).
    """

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output
        if output:
            message = f"{message}\n--- simulator output (tail) ---\n{output}"
        super().__init__(message)


class EndpointError(SimulatorError):
    """A simulator or vCenter URL is malformed or does not answer."""
