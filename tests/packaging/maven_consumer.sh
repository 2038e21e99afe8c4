#!/usr/bin/env bash
# A Maven user's path to the jar: `mvn install:install-file` of dist's jar
# and pom into a scratch local repository, then a consumer project that
# declares org.mmapkit:mmapkit as a dependency is compiled by Maven and run
# against the artifact Maven resolved (not the build tree's jar).
# Offline: Maven's plugins come from Debian's /usr/share/maven-repo (the
# libmaven-*-plugin-java packages), mirrored for every repository; the
# plugin versions are the newest that directory holds.
set -euo pipefail
dist=$1 work=$2 version=$3 java=${4:-java}
jar=$dist/mmapkit-$version.jar pom=$dist/mmapkit-$version.pom
debian_repo=/usr/share/maven-repo
for f in "$jar" "$pom"; do [[ -f $f ]] || { echo "maven_consumer: no $f" >&2; exit 1; }; done
command -v mvn >/dev/null || { echo "maven_consumer: no mvn (Debian: maven)" >&2; exit 1; }

# The jar must carry the same pom Maven users get beside it.
unzip -p "$jar" META-INF/maven/org.mmapkit/mmapkit/pom.xml | cmp - "$pom" ||
  { echo "maven_consumer: the jar's META-INF pom differs from $pom" >&2; exit 1; }
unzip -p "$jar" META-INF/maven/org.mmapkit/mmapkit/pom.properties | grep -Fxq "version=$version" ||
  { echo "maven_consumer: the jar's pom.properties lacks version=$version" >&2; exit 1; }

plugin() {  # newest version of a Maven plugin that Debian installed
  local dir=$debian_repo/org/apache/maven/plugins/$1 v
  v=$(ls "$dir" 2>/dev/null | grep -E '^[0-9][0-9.]*$' | sort -V | tail -n1)
  [[ -n $v ]] || { echo "maven_consumer: $1 is not in $debian_repo (Debian: lib$1-java)" >&2; exit 1; }
  echo "$v"
}
install_v=$(plugin maven-install-plugin)
compiler_v=$(plugin maven-compiler-plugin)
resources_v=$(plugin maven-resources-plugin)

rm -rf "$work" && mkdir -p "$work/consumer/src/main/java/consumer"
cat >"$work/settings.xml" <<XML
<settings>
  <offline>false</offline>
  <mirrors><mirror><id>debian</id><mirrorOf>*</mirrorOf><url>file://$debian_repo</url></mirror></mirrors>
</settings>
XML
mvn_() { mvn -B -q -Dstyle.color=never -s "$work/settings.xml" -Dmaven.repo.local="$work/repo" "$@"; }

mvn_ "org.apache.maven.plugins:maven-install-plugin:$install_v:install-file" \
  -Dfile="$jar" -DpomFile="$pom" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; echo "maven_consumer: install-file failed" >&2; exit 1; }
installed=$work/repo/org/mmapkit/mmapkit/$version/mmapkit-$version.jar
[[ -f $installed ]] || { echo "maven_consumer: install-file did not install $installed" >&2; exit 1; }

cat >"$work/consumer/pom.xml" <<XML
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>consumer</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.mmapkit</groupId>
      <artifactId>mmapkit</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>$resources_v</version></plugin>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>$compiler_v</version></plugin>
    </plugins>
  </build>
</project>
XML
cat >"$work/consumer/src/main/java/consumer/Main.java" <<'JAVA'
package consumer;

import java.nio.file.Files;
import java.nio.file.Path;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

public class Main {
  public static void main(String[] args) throws Exception {
    Path p = Path.of(args[0]);
    Files.write(p, new byte[8192]);
    try (MappedFile f = MappedFile.open(p, MapMode.READ_WRITE); MappedView v = f.map()) {
      v.putLong(4096, 0x1122334455667788L);
      v.force();
    }
    try (MappedFile f = MappedFile.open(p, MapMode.READ_ONLY); MappedView v = f.map()) {
      System.out.println(Long.toHexString(v.getLong(4096)));
    }
  }
}
JAVA
(cd "$work/consumer" && mvn_ compile) >"$work/compile.log" 2>&1 ||
  { cat "$work/compile.log" >&2; echo "maven_consumer: the consumer did not compile" >&2; exit 1; }
out=$("$java" -cp "$work/consumer/target/classes:$installed" consumer.Main "$work/data.bin")
[[ $out == 1122334455667788 ]] || { echo "maven_consumer: the consumer printed '$out'" >&2; exit 1; }
echo "maven: install-file (plugin $install_v) + consumer compiled (compiler $compiler_v) and ran against org.mmapkit:mmapkit:$version"
