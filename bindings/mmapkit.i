/*
 * bindings/mmapkit.i: the C API as every language sees it, whitelisted.
 *
 * Each language's module file (python.i, java.i, csharp.i) declares its
 * %module, its typemaps (out-parameters, buffers, 64-bit integers) and its
 * one error-translation point, then %includes this file. Language-specific
 * %ignore/%rename go in the language file, before the %include.
 */
%{
#include "mmapkit.h"
%}

%include <stdint.i>

/* Not API for bindings: the X-macro table, the export macro and the
 * struct-returning form of the last error (the accessors are used instead). */
#define MMK_EXTERN
%ignore MMK_ERRNO_MAP;
%ignore mmk_last_error;
%ignore mmk_error;
/* Pointer-returning calls for the bindings' own C glue (their error and
 * export paths), not for generated wrappers. */
%ignore mmk_error_for;
%ignore mmk_view_lease_range;
%ignore MMK__STATUS_END_;

/* Opaque handles: SWIG must never try to construct or free them itself. */
%nodefaultctor mmk_file;
%nodefaultdtor mmk_file;
%nodefaultctor mmk_view;
%nodefaultdtor mmk_view;

/* C keeps enum tags and functions apart; SWIG does not. The function keeps
 * its name in every language. */
%rename(mmk_file_kind_enum, %$isenum) mmk_file_kind;

/* Generated from project(VERSION); SWIG does not follow mmapkit.h's #include. */
%include "mmapkit_version.h"
%include "mmapkit.h"
