"""A SIGBUS handler installed after mmapkit, through the installed wheel.

    handlers.py DIR              runs every case below in a child process
    handlers.py case NAME PATH   one case (the child)

Each child maps a 1 MiB file, cuts it to one page as another process
would, installs a handler of its own, then makes a guarded read past the
new end: it must raise mmapkit.FaultError and the process must live. A
child that hangs (a livelock in the handler) is killed by the watchdog.
Exit status 0 = every case passed.
"""
import os
import signal
import subprocess
import sys

import mmapkit

SIZE = 1 << 20
WATCHDOG = 30  # seconds; a case takes well under one

# name: (how the handler is installed, the access). Reads of 256 KiB and
# more re-assert mmapkit's guard first; a small read that faults under a
# later faulthandler is handed back to mmapkit by faulthandler's own
# re-raise (after faulthandler printed its report); under signal.signal's
# handler, which just returns, a small access spins in that handler until
# mmapkit's watchdog thread re-asserts the guard (hung on 2b5c428).
CASES = {
    "faulthandler-bulk": ("faulthandler", "bulk"),
    "faulthandler-small": ("faulthandler", "slice8"),
    "signal-bulk": ("signal", "bulk"),
    "signal-small-slice": ("signal", "slice8"),
    "signal-small-read-into": ("signal", "read_into8"),
    "signal-small-atomic": ("signal", "atomic8"),
}


def access(v, how):
    if how == "bulk":
        return v[0:SIZE]
    if how == "slice8":
        return v[8192:8200]
    if how == "read_into8":
        return v.read_into(bytearray(8), offset=8192)
    return v.atomic_load(8192, size=8)


def child(name, path):
    how, what = CASES[name]
    f = mmapkit.open(path, "w+", size=SIZE)
    v = f.map()
    v[0:4] = b"head"
    os.truncate(path, 4096)
    if how == "faulthandler":
        import faulthandler
        faulthandler.enable()
    else:
        signal.signal(signal.SIGBUS, lambda *a: None)
    try:
        access(v, what)
        print(f"{name}: no exception")
        return 1
    except mmapkit.FaultError as e:
        print(f"{name}: FaultError {e}")
    ok = v[0:4] == b"head"
    v.close()
    f.close()
    return 0 if ok else 1


def main():
    if sys.argv[1] == "case":
        sys.exit(child(sys.argv[2], sys.argv[3]))
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    failures = 0
    for name, (how, what) in CASES.items():
        path = os.path.join(d, f"handler-{name}-{os.getpid()}.bin")
        try:
            r = subprocess.run([sys.executable, __file__, "case", name, path],
                               capture_output=True, text=True, timeout=WATCHDOG)
            out = (r.stdout + r.stderr).strip().replace("\n", " | ")
            ok = r.returncode == 0 and "FaultError" in r.stdout
            if how == "faulthandler" and what == "bulk":  # no report
                ok = ok and "Fatal Python error" not in r.stderr
            rc = r.returncode
        except subprocess.TimeoutExpired:
            ok, rc, out = False, "watchdog", f"hung for {WATCHDOG} s (livelock)"
        finally:
            if os.path.exists(path):
                os.unlink(path)
        print(("ok   " if ok else "FAIL ") + f"{name} (rc {rc}): {out[:300]}", flush=True)
        failures += not ok
    print(f"{len(CASES) - failures}/{len(CASES)} handler cases passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
