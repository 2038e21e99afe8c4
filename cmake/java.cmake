# cmake/java.cmake: the Java binding (org.mmapkit), included by the top-level
# CMakeLists.txt when MMAPKIT_JAVA is ON.
#
# Default build:  dist/mmapkit-<version>.jar (classes + the JNI library under
#                 org/mmapkit/native/<os>-<arch>/), -sources.jar, -javadoc.jar.
# Tests (ctest -L java): JUnit 5 (Debian's junit5 package) with a classpath of
#                 the packaged jar and the compiled tests only.
# Benchmark:      cmake --build <dir> --target bench_java

# cmake 3.25's FindJNI does not find Debian's JDK 17 without a JAVA_HOME:
# derive one from the javac on PATH (<jdk>/bin/javac, symlinks resolved).
if(NOT JAVA_HOME AND NOT DEFINED ENV{JAVA_HOME})
  find_program(MMK_JAVAC javac NO_CMAKE_FIND_ROOT_PATH)
  if(MMK_JAVAC)
    file(REAL_PATH "${MMK_JAVAC}" _mmk_javac)
    cmake_path(GET _mmk_javac PARENT_PATH _mmk_jdk_home)
    cmake_path(GET _mmk_jdk_home PARENT_PATH _mmk_jdk_home)
    if(EXISTS "${_mmk_jdk_home}/include/jni.h")
      set(JAVA_HOME "${_mmk_jdk_home}")
      message(STATUS "Java: JAVA_HOME ${JAVA_HOME} (from ${MMK_JAVAC})")
    endif()
  endif()
endif()
if(MMAPKIT_NATIVES_ONLY)
  # Cross build: only the JNI library. jni.h and Linux's jni_md.h do not
  # depend on the CPU, so the host JDK's headers serve every Linux target.
  set(_mmk_jdk "${JAVA_HOME}")
  if(NOT _mmk_jdk)
    set(_mmk_jdk "$ENV{JAVA_HOME}")
  endif()
  find_path(MMK_JNI_INCLUDE jni.h HINTS "${_mmk_jdk}/include" NO_CMAKE_FIND_ROOT_PATH)
  if(NOT MMK_JNI_INCLUDE)
    message(FATAL_ERROR "MMAPKIT_NATIVES_ONLY: no jni.h under JAVA_HOME (${_mmk_jdk})")
  endif()
  if(WIN32)
    # jni.h serves every platform; its jni_md.h half for Windows is ours.
    set(JNI_INCLUDE_DIRS "${PROJECT_SOURCE_DIR}/java/native/win32" "${MMK_JNI_INCLUDE}")
  else()
    set(JNI_INCLUDE_DIRS "${MMK_JNI_INCLUDE}" "${MMK_JNI_INCLUDE}/${_mmk_os}")
  endif()
else()
  find_package(Java 17 REQUIRED COMPONENTS Runtime Development)
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.24)
    find_package(JNI REQUIRED COMPONENTS JVM) # headers only needed: no AWT on headless JDKs
  else()
    find_package(JNI REQUIRED)
  endif()
endif()
find_package(SWIG 4.0 REQUIRED)

set(MMK_JAVA_DIR "${PROJECT_BINARY_DIR}/java")
file(MAKE_DIRECTORY "${MMAPKIT_DIST_DIR}")
set(MMK_JAVA_GEN "${MMK_JAVA_DIR}/gen")
set(MMK_JAVA_GEN_PKG "${MMK_JAVA_GEN}/org/mmapkit/internal")
set(MMK_JAVA_SRC "${PROJECT_SOURCE_DIR}/java/src/main/java")
set(MMK_JAR "${MMAPKIT_DIST_DIR}/mmapkit-${PROJECT_VERSION}.jar")
set(MMK_SOURCES_JAR "${MMAPKIT_DIST_DIR}/mmapkit-${PROJECT_VERSION}-sources.jar")
set(MMK_JAVADOC_JAR "${MMAPKIT_DIST_DIR}/mmapkit-${PROJECT_VERSION}-javadoc.jar")

# The jar's native folder, named as NativeLoader.platform() names it.
set(MMK_JAVA_PLATFORM "${MMAPKIT_PLATFORM}")

# ---- SWIG: the internal JNI layer ------------------------------------------
set(_mmk_gen_java
    "${MMK_JAVA_GEN_PKG}/NativeCore.java"
    "${MMK_JAVA_GEN_PKG}/NativeCoreJNI.java"
    "${MMK_JAVA_GEN_PKG}/NativeCoreConstants.java")
add_custom_command(
  OUTPUT "${MMK_JAVA_GEN}/mmapkit_jni_wrap.c" ${_mmk_gen_java}
  COMMAND "${CMAKE_COMMAND}" -E rm -rf "${MMK_JAVA_GEN_PKG}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${MMK_JAVA_GEN_PKG}"
  COMMAND "${SWIG_EXECUTABLE}" -java -package org.mmapkit.internal
          -outdir "${MMK_JAVA_GEN_PKG}" -o "${MMK_JAVA_GEN}/mmapkit_jni_wrap.c"
          -I${PROJECT_SOURCE_DIR}/core/include -I${MMAPKIT_GEN_INCLUDE} -I${PROJECT_SOURCE_DIR}/bindings
          "${PROJECT_SOURCE_DIR}/bindings/java.i"
  DEPENDS "${PROJECT_SOURCE_DIR}/bindings/java.i"
          "${PROJECT_SOURCE_DIR}/bindings/mmapkit.i"
          "${PROJECT_SOURCE_DIR}/core/include/mmapkit.h" "${MMAPKIT_GEN_INCLUDE}/mmapkit_version.h"
  COMMENT "SWIG: Java wrapper (org.mmapkit.internal)"
  VERBATIM)

add_library(mmapkit_jni SHARED "${MMK_JAVA_GEN}/mmapkit_jni_wrap.c")
target_include_directories(mmapkit_jni PRIVATE ${JNI_INCLUDE_DIRS})
target_link_libraries(mmapkit_jni PRIVATE mmapkit::static)
set_target_properties(mmapkit_jni PROPERTIES
  OUTPUT_NAME mmapkit_jni
  C_VISIBILITY_PRESET hidden
  LIBRARY_OUTPUT_DIRECTORY "${MMK_JAVA_DIR}/native")
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  # SWIG's generated code passes unused jcls/jenv everywhere.
  target_compile_options(mmapkit_jni PRIVATE -Wno-unused-parameter)
endif()
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  # Export only the JNI entry points, not the statically linked core.
  target_link_options(mmapkit_jni PRIVATE "LINKER:--exclude-libs,ALL" "LINKER:-z,noexecstack")
endif()
# Windows: mmapkit_jni.dll (System.mapLibraryName's name: no lib prefix),
# linked -static so that it needs no mingw runtime DLL; the JNIEXPORT
# (dllexport) entry points are its only exports.
if(WIN32)
  set_target_properties(mmapkit_jni PROPERTIES PREFIX "")
  target_link_options(mmapkit_jni PRIVATE -static)
endif()
# A hostile libmmapkit_jni.so for the loader test (ChildProcessTest): it must
# never be loaded. Cross builds make it too, for the emulated Java suite.
function(mmk_java_planted)
  add_library(mmapkit_java_planted SHARED "${PROJECT_SOURCE_DIR}/tests/java/native/planted.c")
  set_target_properties(mmapkit_java_planted PROPERTIES
    OUTPUT_NAME mmapkit_jni
    LIBRARY_OUTPUT_DIRECTORY "${MMK_JAVA_DIR}/planted")
endfunction()
if(MMAPKIT_NATIVES_ONLY)
  mmk_export_native(mmapkit_jni)
  if(BUILD_TESTING)
    mmk_java_planted()
  endif()
  return()
endif()

# The newest JDK 24+ found: MMAPKIT_JAVA_NEXT, or a JDK beside the one
# building (its parent directory's */bin/java). Its javac compiles the jar's
# META-INF/versions/24 classes (java/src/main/java24: RawAccess on a
# MemorySegment, as sun.misc.Unsafe warns there); the tests run on it too.
# Without one the jar has no versioned classes: JDK 24+ then takes the
# ByteBuffer path (said at configure time).
set(MMAPKIT_JAVA_NEXT "$ENV{MMAPKIT_JAVA_NEXT}" CACHE FILEPATH
    "java of a JDK 24 or later to run the Java suites on too (empty: look beside JAVA_HOME)")
set(_mmk_next "${MMAPKIT_JAVA_NEXT}")
set(_mmk_next_v 0)
if(NOT _mmk_next)
  get_filename_component(_mmk_jdks "${Java_JAVA_EXECUTABLE}" REALPATH)
  get_filename_component(_mmk_jdks "${_mmk_jdks}" DIRECTORY) # bin
  get_filename_component(_mmk_jdks "${_mmk_jdks}" DIRECTORY) # the JDK
  get_filename_component(_mmk_jdks "${_mmk_jdks}" DIRECTORY) # where JDKs sit
  file(GLOB _mmk_cands "${_mmk_jdks}/*/bin/java")
else()
  set(_mmk_cands "${_mmk_next}")
  set(_mmk_next "")
endif()
foreach(_j IN LISTS _mmk_cands)
  execute_process(COMMAND "${_j}" -XshowSettings:properties -version
    ERROR_VARIABLE _out OUTPUT_VARIABLE _out2 RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _out MATCHES "java\\.specification\\.version = ([0-9]+)")
    if(CMAKE_MATCH_1 GREATER_EQUAL 24 AND CMAKE_MATCH_1 GREATER _mmk_next_v)
      set(_mmk_next "${_j}")
      set(_mmk_next_v ${CMAKE_MATCH_1})
    endif()
  endif()
endforeach()
get_filename_component(_mmk_next_javac "${_mmk_next}" DIRECTORY)
set(_mmk_next_javac "${_mmk_next_javac}/javac")
set(MMK_JAVA_SRC24 "${PROJECT_SOURCE_DIR}/java/src/main/java24")
file(GLOB_RECURSE _mmk_java24_sources CONFIGURE_DEPENDS "${MMK_JAVA_SRC24}/*.java")
set(_mmk_v24_compile "")
set(_mmk_v24_jar "")
set(_mmk_v24_src_jar "")
set(_mmk_jar_tool "${Java_JAR_EXECUTABLE}")
set(MMAPKIT_JAVA_V24 OFF) # tests/packaging checks the versioned classes when ON
if(_mmk_next AND EXISTS "${_mmk_next_javac}")
  set(MMAPKIT_JAVA_V24 ON)
  set(_mmk_classes24 "${MMK_JAVA_DIR}/classes24")
  set(_mmk_v24_compile
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${_mmk_classes24}"
    COMMAND "${_mmk_next_javac}" --release 24 -encoding UTF-8 -Xlint:all -Werror
            -d "${_mmk_classes24}" -cp "${MMK_JAVA_DIR}/classes" ${_mmk_java24_sources})
  set(_mmk_v24_jar --release 24 -C "${_mmk_classes24}" .)
  set(_mmk_v24_src_jar --release 24 -C "${MMK_JAVA_SRC24}" org)
  # JDK 17's jar tool rejects the class files of a later release it validates.
  get_filename_component(_mmk_jar_tool "${_mmk_next_javac}" DIRECTORY)
  set(_mmk_jar_tool "${_mmk_jar_tool}/jar")
  message(STATUS "Java: the jar's JDK 24+ classes by ${_mmk_next_javac}")
else()
  message(WARNING "Java: no JDK 24+ javac found beside ${Java_JAVA_EXECUTABLE} (nor "
    "MMAPKIT_JAVA_NEXT): the jar has no META-INF/versions/24 classes, so on JDK 24+ its "
    "typed accessors take the slower ByteBuffer path")
endif()
# scripts/bench.sh runs the Java benchmark on that JDK too.
if(_mmk_next)
  file(WRITE "${CMAKE_BINARY_DIR}/java-next.txt" "${_mmk_next_v} ${_mmk_next}\n")
else()
  file(REMOVE "${CMAKE_BINARY_DIR}/java-next.txt")
endif()

# ---- the jar -----------------------------------------------------------------
file(GLOB_RECURSE _mmk_java_sources CONFIGURE_DEPENDS "${MMK_JAVA_SRC}/*.java")
set(_mmk_manifest "${MMK_JAVA_DIR}/MANIFEST.MF")
# file(CONFIGURE) rewrites only on change: the jar is not rebuilt by a re-configure.
file(CONFIGURE OUTPUT "${_mmk_manifest}" CONTENT
  "Automatic-Module-Name: org.mmapkit\nImplementation-Title: mmapkit\nImplementation-Version: ${PROJECT_VERSION}\nSpecification-Version: ${PROJECT_VERSION}\n")
set(_mmk_classes "${MMK_JAVA_DIR}/classes")
set(_mmk_native_res "${_mmk_classes}/org/mmapkit/native/${MMK_JAVA_PLATFORM}")
set(_mmk_javac_flags --release 17 -encoding UTF-8 -Xlint:all,-processing -Werror)
# The cross builds' JNI libraries, each in its platform's folder.
mmk_foreign_natives("*mmapkit_jni.*" _mmk_jni_foreign)
# The platforms packed besides this one (tests/packaging checks each one).
set(MMAPKIT_JAVA_PLATFORMS "")
set(_mmk_foreign_copy "")
set(_mmk_foreign_files "")
foreach(_pair IN LISTS _mmk_jni_foreign)
  string(REGEX REPLACE "=.*" "" _platform "${_pair}")
  string(REGEX REPLACE "^[^=]*=" "" _file "${_pair}")
  list(APPEND _mmk_foreign_copy
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${_mmk_classes}/org/mmapkit/native/${_platform}"
    COMMAND "${CMAKE_COMMAND}" -E copy "${_file}" "${_mmk_classes}/org/mmapkit/native/${_platform}/")
  list(APPEND _mmk_foreign_files "${_file}")
  list(APPEND MMAPKIT_JAVA_PLATFORMS "${_platform}")
  message(STATUS "Java: the jar carries ${_platform} (${_file})")
endforeach()

# Maven coordinates inside the jar (where Maven and IDEs look) and beside it
# in dist/, so `mvn install:install-file -Dfile=... -DpomFile=...` works.
set(MMK_JAVA_PLATFORMS "${MMK_JAVA_PLATFORM}")
foreach(_pair IN LISTS _mmk_jni_foreign)
  string(REGEX REPLACE "=.*" "" _platform "${_pair}")
  string(APPEND MMK_JAVA_PLATFORMS ", ${_platform}")
endforeach()
set(MMK_POM "${MMAPKIT_DIST_DIR}/mmapkit-${PROJECT_VERSION}.pom")
configure_file("${PROJECT_SOURCE_DIR}/java/pom.xml.in" "${MMK_POM}" @ONLY)
set(_mmk_maven_meta "${MMK_JAVA_DIR}/maven-meta")
set(_mmk_maven_dir "${_mmk_maven_meta}/META-INF/maven/org.mmapkit/mmapkit")
file(MAKE_DIRECTORY "${_mmk_maven_dir}")
configure_file("${PROJECT_SOURCE_DIR}/java/pom.xml.in" "${_mmk_maven_dir}/pom.xml" @ONLY)
file(CONFIGURE OUTPUT "${_mmk_maven_dir}/pom.properties" CONTENT
  "groupId=org.mmapkit\nartifactId=mmapkit\nversion=${PROJECT_VERSION}\n")
configure_file("${PROJECT_SOURCE_DIR}/LICENSE" "${_mmk_maven_meta}/META-INF/LICENSE" COPYONLY)
# The loader names the platforms the jar carries when this one is not among them.
string(REPLACE ", " "\n" _mmk_index "${MMK_JAVA_PLATFORMS}\n")
file(CONFIGURE OUTPUT "${_mmk_maven_meta}/org/mmapkit/native/platforms.txt" CONTENT "${_mmk_index}")

add_custom_command(
  OUTPUT "${MMK_JAR}"
  COMMAND "${CMAKE_COMMAND}" -E rm -rf "${_mmk_classes}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${_mmk_native_res}"
  COMMAND "${Java_JAVAC_EXECUTABLE}" ${_mmk_javac_flags} -d "${_mmk_classes}"
          -sourcepath "${MMK_JAVA_SRC}:${MMK_JAVA_GEN}"
          ${_mmk_java_sources} ${_mmk_gen_java}
  ${_mmk_v24_compile}
  COMMAND "${CMAKE_COMMAND}" -E copy "$<TARGET_FILE:mmapkit_jni>"
          "${_mmk_native_res}/$<TARGET_FILE_NAME:mmapkit_jni>"
  ${_mmk_foreign_copy}
  COMMAND "${_mmk_jar_tool}" --create --file "${MMK_JAR}"
          --manifest "${_mmk_manifest}" -C "${_mmk_classes}" . -C "${_mmk_maven_meta}" META-INF
          -C "${_mmk_maven_meta}" org/mmapkit/native/platforms.txt ${_mmk_v24_jar}
  DEPENDS ${_mmk_java_sources} ${_mmk_java24_sources} ${_mmk_gen_java} mmapkit_jni "${_mmk_manifest}"
          ${_mmk_foreign_files} "${_mmk_maven_dir}/pom.xml" "${PROJECT_SOURCE_DIR}/LICENSE"
  COMMENT "Java: ${MMK_JAR}"
  VERBATIM)

add_custom_command(
  OUTPUT "${MMK_SOURCES_JAR}"
  COMMAND "${_mmk_jar_tool}" --create --file "${MMK_SOURCES_JAR}"
          -C "${MMK_JAVA_SRC}" org -C "${MMK_JAVA_GEN}" org ${_mmk_v24_src_jar}
  DEPENDS ${_mmk_java_sources} ${_mmk_java24_sources} ${_mmk_gen_java}
  COMMENT "Java: ${MMK_SOURCES_JAR}"
  VERBATIM)

set(_mmk_docs "${MMK_JAVA_DIR}/javadoc")
add_custom_command(
  OUTPUT "${MMK_JAVADOC_JAR}"
  COMMAND "${CMAKE_COMMAND}" -E rm -rf "${_mmk_docs}"
  COMMAND "${Java_JAVADOC_EXECUTABLE}" -quiet -encoding UTF-8 --release 17
          -Xdoclint:all,-missing -d "${_mmk_docs}"
          -sourcepath "${MMK_JAVA_SRC}:${MMK_JAVA_GEN}"
          -doctitle "mmapkit ${PROJECT_VERSION}" -windowtitle "mmapkit ${PROJECT_VERSION}"
          org.mmapkit
  COMMAND "${Java_JAR_EXECUTABLE}" --create --file "${MMK_JAVADOC_JAR}" -C "${_mmk_docs}" .
  DEPENDS ${_mmk_java_sources} ${_mmk_gen_java}
  COMMENT "Java: ${MMK_JAVADOC_JAR}"
  VERBATIM)

add_custom_target(mmapkit_java ALL
  DEPENDS "${MMK_JAR}" "${MMK_SOURCES_JAR}" "${MMK_JAVADOC_JAR}")

# ---- tests: against the packaged jar -------------------------------------------
if(BUILD_TESTING AND MMAPKIT_SANITIZE)
  # The JNI library then needs the sanitizer runtime loaded before the JVM.
  message(WARNING "MMAPKIT_SANITIZE is set: the Java tests are not registered, and "
    "the jar's native library links the sanitizer runtime (do not ship it)")
elseif(BUILD_TESTING)
  find_file(MMK_JUNIT_CONSOLE junit-platform-console-standalone.jar
    HINTS /usr/share/java
    DOC "JUnit 5 console launcher (Debian package junit5)")
  if(NOT MMK_JUNIT_CONSOLE)
    message(FATAL_ERROR "java tests need junit-platform-console-standalone.jar "
      "(Debian: apt-get install junit5; or set MMK_JUNIT_CONSOLE, or BUILD_TESTING=OFF)")
  endif()
  set(_mmk_test_src "${PROJECT_SOURCE_DIR}/tests/java")
  file(GLOB_RECURSE _mmk_test_sources CONFIGURE_DEPENDS "${_mmk_test_src}/*.java")
  set(_mmk_test_classes "${MMK_JAVA_DIR}/test-classes")
  set(MMK_TEST_JAR "${MMK_JAVA_DIR}/mmapkit-tests.jar")
  add_custom_command(
    OUTPUT "${MMK_TEST_JAR}"
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${_mmk_test_classes}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${_mmk_test_classes}"
    COMMAND "${Java_JAVAC_EXECUTABLE}" --release 17 -encoding UTF-8 -d "${_mmk_test_classes}"
            -cp "${MMK_JAR}:${MMK_JUNIT_CONSOLE}" ${_mmk_test_sources}
    COMMAND "${Java_JAR_EXECUTABLE}" --create --file "${MMK_TEST_JAR}" -C "${_mmk_test_classes}" .
    # The jar is a target-level dependency: naming the file would attach its
    # rule to this target too (two makes writing one jar). Its sources stand
    # in for it at file level.
    DEPENDS ${_mmk_test_sources} mmapkit_java ${_mmk_java_sources}
    COMMENT "Java: tests"
    VERBATIM)
  add_custom_target(mmapkit_java_tests ALL DEPENDS "${MMK_TEST_JAR}")

  mmk_java_planted()

  # One CTest entry per test class, so `ctest -j2` spreads them; NAME runs
  # class CLS on the java executable JAVA with the JVM options after it (the
  # test JVM's children get them too, through mmapkit.test.jvmargs).
  set(_mmk_test_cp "${MMK_JAR}:${MMK_TEST_JAR}")
  function(mmk_java_test_on name java cls)
    string(REPLACE ";" " " _jvmargs "${ARGN}")
    add_test(NAME ${name}
      COMMAND "${java}" -Xmx512m ${ARGN}
              "-Dmmapkit.test.jvmargs=${_jvmargs}"
              "-Dmmapkit.test.classpath=${_mmk_test_cp}"
              "-Dmmapkit.test.java=${java}"
              "-Dmmapkit.test.planted=$<TARGET_FILE:mmapkit_java_planted>"
              -cp "${_mmk_test_cp}:${MMK_JUNIT_CONSOLE}"
              org.junit.platform.console.ConsoleLauncher
              --disable-banner --disable-ansi-colors --details=tree
              --fail-if-no-tests --select-class "org.mmapkit.tests.${cls}")
    set_tests_properties(${name} PROPERTIES LABELS java TIMEOUT 600)
  endfunction()
  function(mmk_java_test name cls)
    mmk_java_test_on(${name} "${Java_JAVA_EXECUTABLE}" ${cls} ${ARGN})
  endfunction()
  # Every class on this JDK, and on the JDK 24+ found above as a user runs it
  # there (native access granted: the jar's versioned RawAccess). The accessor
  # and atomics classes again on each with -Dmmapkit.unsafe=false: their
  # ByteBuffer path (no Unsafe, no native access); RaceTest races it too (its
  # *-windows pairs).
  set(_mmk_na --enable-native-access=ALL-UNNAMED)
  if(_mmk_next)
    message(STATUS "Java: the suites run on JDK ${_mmk_next_v} too (${_mmk_next})")
  endif()
  foreach(_src IN LISTS _mmk_test_sources)
    get_filename_component(_cls "${_src}" NAME_WE)
    if(_cls MATCHES "Test$")
      mmk_java_test(java_${_cls} ${_cls})
      if(_mmk_next)
        mmk_java_test_on(java${_mmk_next_v}_${_cls} "${_mmk_next}" ${_cls} ${_mmk_na})
      endif()
    endif()
  endforeach()
  foreach(_cls IN ITEMS AccessorWindowsTest AtomicsTest MappedViewTest BigViewTest JitTest)
    mmk_java_test(java_${_cls}_bytebuffers ${_cls} -Dmmapkit.unsafe=false)
    if(_mmk_next)
      mmk_java_test_on(java${_mmk_next_v}_${_cls}_bytebuffers "${_mmk_next}" ${_cls} ${_mmk_na}
                       -Dmmapkit.unsafe=false)
    endif()
  endforeach()
endif()

# ---- benchmark (run by hand or by scripts/bench.sh) ------------------------
if(MMAPKIT_BENCH)
  set(_mmk_bench_classes "${MMK_JAVA_DIR}/bench-classes")
  set(MMK_BENCH_JAR "${MMK_JAVA_DIR}/mmapkit-bench.jar")
  file(GLOB _mmk_bench_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/bench/java/*.java")
  add_custom_command(
    OUTPUT "${MMK_BENCH_JAR}"
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${_mmk_bench_classes}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${_mmk_bench_classes}"
    COMMAND "${Java_JAVAC_EXECUTABLE}" --release 17 -encoding UTF-8 -d "${_mmk_bench_classes}"
            -cp "${MMK_JAR}" ${_mmk_bench_sources}
    COMMAND "${Java_JAR_EXECUTABLE}" --create --file "${MMK_BENCH_JAR}"
            --main-class org.mmapkit.bench.MmapkitBench -C "${_mmk_bench_classes}" .
    DEPENDS ${_mmk_bench_sources} mmapkit_java ${_mmk_java_sources}
    COMMENT "Java: benchmark"
    VERBATIM)
  add_custom_target(mmapkit_java_bench ALL DEPENDS "${MMK_BENCH_JAR}")
  add_custom_target(bench_java
    COMMAND "${Java_JAVA_EXECUTABLE}" -cp "${MMK_JAR}:${MMK_BENCH_JAR}"
            org.mmapkit.bench.MmapkitBench
    DEPENDS mmapkit_java_bench
    USES_TERMINAL
    VERBATIM)
endif()
