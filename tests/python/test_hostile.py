"""Hostile names and squatted shared memory (issue 11.10, 11.11).

Every call that takes a path or a shared-memory name refuses what the
contract forbids with ValueError (TypeError for a wrong type) before
anything reaches the system: nothing is created, truncated or removed.
An existing shared-memory object that is not the caller's alone is refused
with PermissionError unless allow_foreign=True.
"""
import os
import pathlib
import stat
import unittest

import mmapkit
from mmapkit import _core
from support import TempDirTest, unique_shm_name

SHM = "/dev/shm"

BAD_NAMES = ["", "x\0other", "ok\0../../x", "a/b", "/lead", "..", "../x",
             ".hidden", "a" * 201, "sp ace", "t\u00e9"]


def shm_exists(name):
    return os.path.exists(os.path.join(SHM, name))


class TestHostileShmNames(unittest.TestCase):
    def setUp(self):
        # A victim object whose name is a prefix of the NUL-cut names.
        self.victim = unique_shm_name("victim")
        f = mmapkit.shared_memory(self.victim, size=4096)
        with f.map() as v:
            v[0:4] = b"keep"
        f.close()
        self.addCleanup(lambda: shm_exists(self.victim)
                        and mmapkit.unlink_shared_memory(self.victim))

    def hostile(self, base):
        return [base + "\0other", base + "\0../../x"] + BAD_NAMES

    def assert_nothing_changed(self):
        self.assertTrue(shm_exists(self.victim), "the victim was removed")
        with mmapkit.shared_memory(self.victim) as f, f.map() as v:
            self.assertEqual((f.size, v[0:4]), (4096, b"keep"))
        for name in self.hostile(self.victim):  # what a NUL cut would make
            cut = name.split("\0")[0]
            if cut and cut != self.victim and "/" not in cut and cut[0] != ".":
                self.assertFalse(shm_exists(cut), cut)

    def test_unlink_refuses_every_hostile_name(self):
        for name in self.hostile(self.victim):
            with self.subTest(name=name), self.assertRaises(ValueError):
                mmapkit.unlink_shared_memory(name)
        self.assert_nothing_changed()

    def test_shared_memory_refuses_every_hostile_name(self):
        for name in self.hostile(self.victim):
            for kw in ({}, {"size": 8192}, {"size": 8192, "exclusive": True},
                       {"readonly": True}):
                with self.subTest(name=name, **kw), self.assertRaises(ValueError):
                    mmapkit.shared_memory(name, **kw)
        self.assert_nothing_changed()

    def test_raw_core_calls_refuse_every_hostile_name(self):
        calls = {
            "shm_unlink": _core.shm_unlink,
            "shm_name_check": _core.shm_name_check,
            "File(shm)": lambda n: _core.File(
                1, n, _core.MMK_WRITE, _core.MMK_CREATE | _core.MMK_TRUNCATE,
                8192, -1),
        }
        for cname, call in calls.items():
            for name in self.hostile(self.victim):
                for form in (name, name.encode()):
                    with self.subTest(call=cname, name=form), \
                            self.assertRaises(ValueError):
                        call(form)
        self.assert_nothing_changed()

    def test_wrong_types_are_type_errors(self):
        for call in (mmapkit.unlink_shared_memory, mmapkit.shared_memory,
                     _core.shm_unlink):
            for bad in (None, 3, pathlib.PurePath("x")):
                with self.subTest(call=call, arg=bad), self.assertRaises(TypeError):
                    call(bad)


class TestHostilePaths(TempDirTest):
    def test_nul_in_a_path_touches_no_file(self):
        victim = self.path("important.db", b"precious")
        for mode in ("r", "r+", "w+", "x+", "c"):
            for p in (victim + "\0.tmp", (victim + "\0.tmp").encode(),
                      pathlib.Path(victim + "\0.tmp")):
                with self.subTest(mode=mode, path=p), self.assertRaises(ValueError):
                    mmapkit.open(p, mode, size=4096 if "+" in mode else None)
        for p in (victim + "\0", victim.encode() + b"\0x"):
            with self.subTest(raw=p), self.assertRaises(ValueError):
                _core.File(0, p, _core.MMK_WRITE,
                           _core.MMK_CREATE | _core.MMK_TRUNCATE, 4096, -1)
        with open(victim, "rb") as fh:
            self.assertEqual(fh.read(), b"precious")
        self.assertEqual(os.listdir(self.dir), ["important.db"])

    def test_odd_but_legal_paths_open_exactly_that_file(self):
        sub = os.path.join(self.dir, "sub")
        os.mkdir(sub)
        for name in ("a" * 201, "..x", "sp ace", "t\u00e9"):
            with self.subTest(name=name):
                p = os.path.join(sub, "..", name)  # '..' inside a path is fine
                with mmapkit.open(p, "w+", size=10) as f:
                    self.assertTrue(f.created)
                self.assertEqual(os.path.getsize(os.path.join(self.dir, name)), 10)

    def test_overlong_component_is_os_error(self):
        with self.assertRaises(OSError) as cm:
            mmapkit.open(self.path("b" * 300), "w+")
        self.assertEqual(cm.exception.errno, 36)  # ENAMETOOLONG
        self.assertEqual(os.listdir(self.dir), [])


class TestCreatedFlag(TempDirTest):
    def test_created_is_true_only_for_the_call_that_created_the_file(self):
        p = self.path()
        for mode, created in (("x+", True), ("w+", False), ("r+", False),
                              ("r", False), ("c", False)):
            with self.subTest(mode=mode), mmapkit.open(p, mode) as f:
                self.assertIs(f.created, created)
        os.unlink(p)
        with mmapkit.open(p, "w+") as f:
            self.assertTrue(f.created)
        self.assertTrue(f.created)  # still known after close
        with mmapkit.anonymous(4096) as anon:
            self.assertTrue(anon.created)

    def test_created_is_true_only_for_the_call_that_created_the_object(self):
        name = unique_shm_name("created")
        a = mmapkit.shared_memory(name, size=4096)
        self.addCleanup(mmapkit.unlink_shared_memory, name)
        b = mmapkit.shared_memory(name, size=4096)
        c = mmapkit.shared_memory(name)
        self.assertEqual((a.created, b.created, c.created), (True, False, False))
        for f in (a, b, c):
            f.close()


class TestSquattedSharedMemory(unittest.TestCase):
    """Another user creates the name first, open to everyone, to read what
    the victim writes: the victim's create-or-open must refuse it."""

    def squat(self, mode, owner=None):
        name = unique_shm_name("squat")
        path = os.path.join(SHM, name)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        os.write(fd, b"bait" + bytes(4092))
        os.fchmod(fd, mode)
        if owner is not None:
            os.fchown(fd, owner, owner)
        os.close(fd)
        self.addCleanup(os.unlink, path)
        return name, path

    def assert_refused(self, name, path, **kw):
        before = os.stat(path)
        with self.assertRaises(PermissionError) as cm:
            mmapkit.shared_memory(name, **kw)
        e = cm.exception
        self.assertEqual(e.filename, name)
        self.assertIn("allow_foreign=True", str(e))
        self.assertIn(oct(before.st_mode & 0o777)[2:], str(e))
        after = os.stat(path)  # neither truncated nor grown
        self.assertEqual((after.st_size, after.st_mode), (before.st_size, before.st_mode))
        with open(path, "rb") as fh:
            self.assertEqual(fh.read(4), b"bait")

    def test_group_or_world_accessible_object_is_refused(self):
        for mode in (0o666, 0o604, 0o660, 0o640):
            name, path = self.squat(mode)
            for kw in ({}, {"size": 1 << 20}, {"readonly": True}):
                with self.subTest(mode=oct(mode), **kw):
                    self.assert_refused(name, path, **kw)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to own an object as another user")
    def test_object_of_another_user_is_refused(self):
        name, path = self.squat(0o600, owner=65534)
        for kw in ({}, {"size": 1 << 20}):
            with self.subTest(**kw):
                self.assert_refused(name, path, **kw)
        with mmapkit.shared_memory(name, allow_foreign=True) as f:
            self.assertFalse(f.created)

    def test_allow_foreign_opens_it(self):
        name, path = self.squat(0o666)
        with mmapkit.shared_memory(name, size=8192, allow_foreign=True) as f:
            self.assertFalse(f.created)
            with f.map() as v:
                self.assertEqual(v[0:4], b"bait")
        self.assertEqual(os.path.getsize(path), 8192)

    def test_own_private_object_opens(self):
        name, path = self.squat(0o600)
        with mmapkit.shared_memory(name, size=4096) as f:
            self.assertFalse(f.created)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)


if __name__ == "__main__":
    unittest.main()
