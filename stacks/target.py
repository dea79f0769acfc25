"""The deployment target: which CPython version and which CPU the function runs on.

Owns the mapping from (python_version, architecture) to the names other tools use for the
same target: pip's manylinux platform tags, python-build-standalone's triple, Docker's
platform, the managed Lambda runtime, and the ELF machine code of a native binary. It does
not build or copy anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

#: CPython minor versions the construct deploys. 3.14: python-build-standalone publishes it and
#: Lambda runs it (python3.14 runtime, "Lambda runtimes" page of the Lambda developer guide);
#: this repository's runtime test suite runs on 3.13 only (no 3.14 interpreter offline here).
SUPPORTED_PYTHON_VERSIONS = ("3.11", "3.12", "3.13", "3.14")

# ELF e_machine values (System V ABI): what a native binary was compiled for.
_ELF_MACHINES = {"x86_64": 62, "aarch64": 183}

_MANAGED_RUNTIMES = {
    "3.11": lambda_.Runtime.PYTHON_3_11,
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
    "3.14": lambda_.Runtime.PYTHON_3_14,
}


@dataclass(frozen=True, slots=True)
class Target:
    """A CPython version on a Lambda architecture, e.g. ``Target("3.13", "aarch64")``.

    Build one with :meth:`of`, which validates both halves.
    """

    python_version: str
    machine: str  # "x86_64" or "aarch64", the uname -m spelling

    @classmethod
    def of(
        cls, python_version: str, architecture: lambda_.Architecture, *, managed: bool = False
    ) -> Target:
        """Validate ``python_version`` and map a CDK ``Architecture`` to a target."""
        del managed  # every supported version also has a managed runtime
        if python_version not in SUPPORTED_PYTHON_VERSIONS:
            raise ValueError(
                f"python_version={python_version!r} is not supported: the streaming runtime "
                f"runs on CPython {', '.join(SUPPORTED_PYTHON_VERSIONS)}; pass one of those "
                '(default "3.13").'
            )
        machine = {"arm64": "aarch64", "x86_64": "x86_64"}.get(architecture.name)
        if machine is None:
            raise ValueError(
                f"architecture {architecture.name!r} is not a Lambda architecture; pass "
                "lambda_.Architecture.ARM_64 (default) or lambda_.Architecture.X86_64."
            )
        return cls(python_version, machine)

    @property
    def abi(self) -> str:
        """CPython's ABI tag, e.g. ``cp313``."""
        return "cp" + self.python_version.replace(".", "")

    @property
    def pip_platforms(self) -> tuple[str, ...]:
        """Wheel platform tags that run on Amazon Linux 2023 (glibc 2.34) for this CPU."""
        return tuple(
            f"{tag}_{self.machine}" for tag in ("manylinux2014", "manylinux_2_28", "manylinux_2_34")
        )

    @property
    def pbs_request(self) -> str:
        """The python-build-standalone request ``uv python install`` understands."""
        return f"cpython-{self.python_version}-linux-{self.machine}-gnu"

    @property
    def docker_platform(self) -> str:
        """Docker's ``--platform`` for this CPU."""
        return "linux/arm64" if self.machine == "aarch64" else "linux/amd64"

    @property
    def elf_machine(self) -> int:
        """The ELF ``e_machine`` a native binary for this CPU carries."""
        return _ELF_MACHINES[self.machine]

    @property
    def managed_runtime(self) -> lambda_.Runtime:
        """The managed Lambda Python runtime of the same version."""
        return _MANAGED_RUNTIMES[self.python_version]

    @property
    def architecture(self) -> lambda_.Architecture:
        """The CDK ``Architecture`` of this CPU."""
        return (
            lambda_.Architecture.ARM_64
            if self.machine == "aarch64"
            else lambda_.Architecture.X86_64
        )

    @property
    def interpreter_name(self) -> str:
        """The versioned executable name, e.g. ``python3.13``."""
        return f"python{self.python_version}"


def elf_machine_of(path: Path) -> int | None:
    """Return the ELF ``e_machine`` of a binary, or None if the file is not ELF."""
    with path.open("rb") as binary:
        header = binary.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    if header[5] == 1:  # EI_DATA: 1 little-endian, 2 big-endian
        return int.from_bytes(header[18:20], "little")
    return int.from_bytes(header[18:20], "big")


def machine_name(elf_machine: int | None) -> str:
    """A human name for an ELF machine code, for error messages."""
    for name, code in _ELF_MACHINES.items():
        if code == elf_machine:
            return name
    return "not an x86_64 or aarch64 ELF binary"
