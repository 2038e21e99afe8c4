/*
 * java/native/win32/jni_md.h: the machine-dependent half of jni.h for
 * 64-bit Windows, so that the JNI library cross-builds with mingw-w64
 * against a Linux JDK's jni.h (whose own jni_md.h is for Linux). It
 * states the Windows x64 ABI of the Java types: jint is 32 bits there
 * as everywhere, but `long` is 32 bits too, so jlong is `long long`.
 * cmake/java.cmake puts this directory before the JDK's include/ in a
 * Windows build; nothing else includes it.
 */
#ifndef MMAPKIT_WIN32_JNI_MD_H
#define MMAPKIT_WIN32_JNI_MD_H

/* The entry points the JVM looks up by name: exported from the DLL (and,
 * being the only dllexport symbols, the DLL's only exports). */
#define JNIEXPORT __declspec(dllexport)
#define JNIIMPORT __declspec(dllimport)
/* The JNI calling convention; x64 has one convention, the keyword is
 * accepted and ignored there (it matters on 32-bit Windows only). */
#define JNICALL __stdcall

typedef int jint;
typedef long long jlong;
typedef signed char jbyte;

#endif /* MMAPKIT_WIN32_JNI_MD_H */
