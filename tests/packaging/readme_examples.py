#!/usr/bin/env python3
"""Runs the first example of each README, as written, against the installed
packages, each from an empty temporary directory.

A README's first example is what a new user pastes first: it must compile
and run without edits, create what it reads, and remove what it shares (a
named shared-memory object left in /dev/shm is a leak). For each README the
first fenced block of each language is taken:

  README.md          c, python, java, csharp
  python/README.md   python
  java/README.md     java
  dotnet/README.md   csharp

C is built against `cmake --install` of the build into a scratch prefix
(with pkg-config and the rpath the README tells users to add), Python runs
in the venv the wheel was installed into, Java with only the jar on the
classpath (the source launcher), C# as a console project that restores
MmapKit from dist/. A language whose package was not built is skipped, and
the skip is printed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

READMES = {
    "README.md": ["c", "python", "java", "csharp"],
    "python/README.md": ["python"],
    "java/README.md": ["java"],
    "dotnet/README.md": ["csharp"],
}
SHM_DIR = "/dev/shm"


def first_block(text, lang):
    m = re.search(r"^```" + re.escape(lang) + r"[ \t]*\n(.*?)^```", text, re.S | re.M)
    return m.group(1) if m else None


def run(cmd, cwd, env=None, what=""):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{what}: {' '.join(cmd)} exited {p.returncode}\n"
                           f"--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}")
    return p.stdout


class Runner:
    def __init__(self, args, work):
        self.a = args
        self.work = work
        self._prefix = None

    def available(self, lang):
        return {
            "c": True,
            "python": bool(self.a.python) and os.path.exists(self.a.python),
            "java": bool(self.a.java) and os.path.exists(self.a.jar),
            "csharp": bool(self.a.dotnet) and os.path.exists(self.a.nupkg),
        }[lang]

    def prefix(self):
        if self._prefix is None:
            self._prefix = os.path.join(self.work, "prefix")
            run(["cmake", "--install", self.a.build, "--prefix", self._prefix],
                self.work, what="install the C package")
        return self._prefix

    def c(self, src, cwd):
        with open(os.path.join(cwd, "example.c"), "w") as f:
            f.write(src)
        pc = [os.path.dirname(os.path.join(d, n)) for d, _, ns in os.walk(self.prefix())
              for n in ns if n == "mmapkit.pc"][0]
        env = dict(os.environ, PKG_CONFIG_PATH=pc)
        flags = run(["pkg-config", "--cflags", "--libs", "mmapkit"], cwd, env).split()
        libdir = run(["pkg-config", "--variable=libdir", "mmapkit"], cwd, env).strip()
        run(["cc", "-std=c11", "-Wall", "-Werror", "example.c", *flags,
             f"-Wl,-rpath,{libdir}", "-o", "example"], cwd, env, "compile")
        env.pop("LD_LIBRARY_PATH", None)
        return run(["./example"], cwd, env, "run")

    def python(self, src, cwd):
        with open(os.path.join(cwd, "example.py"), "w") as f:
            f.write(src)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        return run([self.a.python, "-X", "dev", "-W", "error", "example.py"], cwd, env, "run")

    def java(self, src, cwd):
        with open(os.path.join(cwd, "Example.java"), "w") as f:
            f.write(src)
        return run([self.a.java, "-cp", self.a.jar, "Example.java"], cwd, what="run")

    def csharp(self, src, cwd):
        with open(os.path.join(cwd, "Program.cs"), "w") as f:
            f.write(src)
        with open(os.path.join(cwd, "Example.csproj"), "w") as f:
            f.write(f"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MmapKit" Version="{self.a.version}" />
  </ItemGroup>
</Project>
""")
        packages = os.path.join(self.work, "nuget-packages")
        env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1",
                   DOTNET_SKIP_FIRST_TIME_EXPERIENCE="1", DOTNET_CLI_USE_MSBUILD_SERVER="0",
                   MSBUILDDISABLENODEREUSE="1", NUGET_PACKAGES=packages)
        return run([self.a.dotnet, "run", "-p:UseSharedCompilation=false",
             f"-p:RestoreConfigFile={self.a.nuget_config}",
             f"-p:RestorePackagesPath={packages}"], cwd, env, "build and run")


def shm_names():
    try:
        return set(os.listdir(SHM_DIR))
    except OSError:
        return set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--build", required=True, help="the host build dir (cmake --install)")
    ap.add_argument("--version", required=True)
    ap.add_argument("--python", help="a python with the wheel installed")
    ap.add_argument("--java", help="the java launcher")
    ap.add_argument("--jar")
    ap.add_argument("--dotnet")
    ap.add_argument("--nupkg")
    ap.add_argument("--nuget-config")
    args = ap.parse_args()

    failures, ran = [], 0
    with tempfile.TemporaryDirectory(prefix="mmapkit-readme-") as work:
        runner = Runner(args, work)
        for readme, langs in READMES.items():
            with open(os.path.join(args.repo, readme)) as f:
                text = f.read()
            for lang in langs:
                label = f"{readme} [{lang}]"
                src = first_block(text, lang)
                if src is None:
                    failures.append(f"{label}: no ```{lang} block")
                    continue
                if not runner.available(lang):
                    print(f"SKIP {label}: that package was not built")
                    continue
                cwd = tempfile.mkdtemp(prefix="example-", dir=work)
                before = shm_names()
                try:
                    out = getattr(runner, lang)(src, cwd)
                    # Only names the example itself spells count: other
                    # processes on the machine create and remove their own.
                    left = {n for n in shm_names() - before if n in src}
                    if left:
                        raise RuntimeError(f"left shared memory behind: {sorted(left)}")
                    ran += 1
                    print(f"ok   {label}" + (f": {out.strip().splitlines()[-1]}" if out.strip() else ""))
                except Exception as e:  # noqa: BLE001 - every failure is reported
                    failures.append(f"{label}: {e}")
                    print(f"FAIL {label}")
                finally:
                    shutil.rmtree(cwd, ignore_errors=True)
    for f in failures:
        print(f, file=sys.stderr)
    print(f"{ran} README examples ran, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
