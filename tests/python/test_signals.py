"""Blocking calls honour signals as PEP 475 asks (issue 11.14): Ctrl-C
(SIGINT) ends a blocking lock or a wait without timeout with
KeyboardInterrupt, nothing locked; a handler that does not raise lets the
call go on (with the time that remains). Each case runs in a child that
signals itself from a timer thread, under a watchdog.
"""
import textwrap
import unittest

from support import TempDirTest, run_python

PRELUDE = textwrap.dedent("""
    import os, signal, sys, threading, time
    import mmapkit
    def later(delay, sig=signal.SIGINT):
        t = threading.Timer(delay, os.kill, (os.getpid(), sig))
        t.daemon = True
        t.start()
""")


class TestSignals(TempDirTest):
    def child(self, body, *args):
        try:
            p = run_python(PRELUDE + textwrap.dedent(body), *args, timeout=30)
        except Exception as e:  # subprocess.TimeoutExpired: the call hung
            self.fail(f"child hung: {e}")
        self.assertEqual((p.returncode, p.stdout.strip().splitlines()[-1:]),
                         (0, ["OK"]), p.stdout + p.stderr)

    def test_sigint_interrupts_a_blocking_lock(self):
        self.child("""
            path = sys.argv[1]
            a, b = mmapkit.open(path, "r+"), mmapkit.open(path, "r+")
            held = a.lock()
            later(0.3)
            t0 = time.monotonic()
            try:
                b.lock()
                print("locked?!")
            except KeyboardInterrupt:
                assert time.monotonic() - t0 < 10
            held.release()
            c = mmapkit.open(path, "r+")
            c.lock(blocking=False).release()  # b holds nothing
            b.lock(blocking=False).release()  # b is still usable
            print("OK")
        """, self.path(content=bytes(64)))

    def test_sigint_interrupts_a_wait_without_timeout(self):
        self.child("""
            v = mmapkit.anonymous(4096).map()
            later(0.3)
            t0 = time.monotonic()
            try:
                v.wait(0, 0)
                print("woke?!")
            except KeyboardInterrupt:
                assert time.monotonic() - t0 < 10
            v.atomic_store(0, 0, size=4)  # the view is still usable
            assert v.wait(0, 0, timeout=0) is False
            v.close()
            print("OK")
        """)

    def test_handler_that_returns_lets_the_wait_go_on(self):
        self.child("""
            seen = []
            signal.signal(signal.SIGUSR1, lambda *a: seen.append(1))
            v = mmapkit.anonymous(4096).map()
            later(0.1, signal.SIGUSR1)
            t0 = time.monotonic()
            assert v.wait(0, 0, timeout=0.6) is False  # timed out, not woken
            took = time.monotonic() - t0
            assert seen == [1], seen
            assert 0.55 < took < 5, took  # the remaining time was waited
            def change():
                time.sleep(0.3)
                v.atomic_store(0, 1, size=4)
                v.wake(0)
            later(0.1, signal.SIGUSR1)
            threading.Thread(target=change).start()
            assert v.wait(0, 0) is True
            assert seen == [1, 1], seen
            print("OK")
        """)

    def test_handler_that_returns_lets_the_lock_go_on(self):
        self.child("""
            path = sys.argv[1]
            seen = []
            signal.signal(signal.SIGUSR1, lambda *a: seen.append(1))
            a, b = mmapkit.open(path, "r+"), mmapkit.open(path, "r+")
            held = a.lock()
            later(0.1, signal.SIGUSR1)
            threading.Timer(0.4, held.release).start()
            b.lock().release()
            assert seen == [1], seen
            print("OK")
        """, self.path(content=bytes(64)))


    # Issue 11.13: a SIGBUS handler installed after mapping (signal.signal,
    # which just returns) and a small access that faults. With the watchdog
    # off only fault_guard_install() can put the guard back: without it the
    # access spins in that handler for good (the watchdog case is in
    # tests/reliability/lang/handlers).
    def test_fault_guard_install_puts_the_guard_back_over_a_later_handler(self):
        self.child("""
            os.environ["MMAPKIT_GUARD_WATCH_MS"] = "0"  # read at first map
            path = sys.argv[1]
            f = mmapkit.open(path, "r+")
            v = f.map()
            os.truncate(path, 4096)
            signal.signal(signal.SIGBUS, lambda *a: None)
            mmapkit.fault_guard_install()
            for how in ("slice", "read_into", "atomic"):
                try:
                    if how == "slice":
                        v[8192:8200]
                    elif how == "read_into":
                        v.read_into(bytearray(8), offset=8192)
                    else:
                        v.atomic_load(8192, size=8)
                    print("no FaultError", how)
                    sys.exit(1)
                except mmapkit.FaultError:
                    pass
            assert v[0:4] == bytes(4)
            v.close()
            f.close()
            print("OK")
        """, self.path(content=bytes(16384)))

    def test_watchdog_thread_runs_only_once_something_is_mapped(self):
        self.child("""
            def guards():
                n = 0
                for t in os.listdir("/proc/self/task"):
                    with open(f"/proc/self/task/{t}/comm") as c:
                        n += c.read() == "mmk-guard\\n"
                return n
            assert guards() == 0  # imported: the guard, but no thread
            mmapkit.fault_guard_install()
            assert guards() == 0
            v = mmapkit.anonymous(4096).map()
            assert guards() == 1
            v.close()
            print("OK")
        """)


if __name__ == "__main__":
    unittest.main()
