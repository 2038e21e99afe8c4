package org.mmapkit.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmapkit.MapMode;
import org.mmapkit.MappedFile;
import org.mmapkit.MappedView;

/** JDK APIs consume the view's ByteBuffers directly, with results equal to a heap copy's. */
class JdkConsumersTest {
  @TempDir Path dir;
  Path file;
  byte[] data;

  @BeforeEach
  void write() throws IOException {
    data = new byte[3 << 20];
    new Random(42).nextBytes(data);
    file = dir.resolve("data.bin");
    Files.write(file, data);
  }

  @Test
  void crc32_over_a_view_buffer() throws IOException {
    try (MappedFile f = MappedFile.open(file, MapMode.READ_ONLY);
        MappedView v = f.map(1, data.length - 1)) {
      CRC32 a = new CRC32();
      a.update(v.asByteBuffer());
      CRC32 b = new CRC32();
      b.update(data, 1, data.length - 1);
      assertEquals(b.getValue(), a.getValue());
    }
  }

  @Test
  void message_digest_over_a_window() throws Exception {
    try (MappedFile f = MappedFile.open(file, MapMode.READ_ONLY);
        MappedView v = f.map()) {
      MessageDigest a = MessageDigest.getInstance("SHA-256");
      a.update(v.asByteBuffer(12345, 1 << 20));
      MessageDigest b = MessageDigest.getInstance("SHA-256");
      b.update(data, 12345, 1 << 20);
      assertArrayEquals(b.digest(), a.digest());
    }
  }

  @Test
  void file_channel_write_from_a_view_buffer() throws IOException {
    Path out = dir.resolve("copy.bin");
    try (MappedFile f = MappedFile.open(file, MapMode.READ_ONLY);
        MappedView v = f.map();
        FileChannel ch =
            FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ByteBuffer bb = v.asByteBuffer();
      while (bb.hasRemaining()) {
        ch.write(bb);
      }
    }
    assertArrayEquals(data, Files.readAllBytes(out));
  }

  @Test
  void file_channel_read_into_a_view_buffer() throws IOException {
    Path dst = dir.resolve("dst.bin");
    try (MappedFile f = MappedFile.create(dst, data.length);
        MappedView v = f.map();
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer bb = v.asByteBuffer();
      while (bb.hasRemaining() && ch.read(bb) >= 0) {
        // keep reading
      }
      v.force();
    }
    assertArrayEquals(data, Files.readAllBytes(dst));
  }

  @Test
  void charset_decoder_over_a_view_buffer() throws IOException {
    String text = "héllo wörld ✓ ".repeat(1000);
    Path t = dir.resolve("text.txt");
    Files.writeString(t, text, StandardCharsets.UTF_8);
    try (MappedFile f = MappedFile.open(t, MapMode.READ_ONLY);
        MappedView v = f.map()) {
      CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder();
      CharBuffer chars = dec.decode(v.asByteBuffer());
      assertEquals(text, chars.toString());
    }
  }
}
