package dev.strata.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import org.junit.jupiter.api.Test;

/** Images are refused from their header's dimensions before they cost anything to decode. */
class ImageCodecTest {
  static byte[] png(int height, int width, int channels) {
    return ImageCodec.encodePng(
        new RawImage(height, width, channels, new byte[height * width * channels]));
  }

  @Test
  void anImageUpToTheLimitDecodes() {
    RawImage img = ImageCodec.decode(png(50, 40, 3), "image", 50 * 40);
    assertThat(img.height()).isEqualTo(50);
    assertThat(img.width()).isEqualTo(40);
    assertThat(img.channels()).isEqualTo(3);
  }

  @Test
  void anImageOverTheLimitIsRefusedNamingItsSizeAndTheLimit() {
    assertThatThrownBy(() -> ImageCodec.decode(png(50, 41, 1), "input 'image' image 2", 2000))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("input 'image' image 2")
        .hasMessageContaining("41 x 50 pixels is over the limit of 2000 pixels");
  }

  @Test
  void theDefaultLimitTakesA4kFrame() {
    assertThat(ImageCodec.DEFAULT_MAX_PIXELS).isGreaterThanOrEqualTo(3840L * 2160L);
  }

  @Test
  void bytesThatAreNoImageAreNamed() {
    assertThatThrownBy(() -> ImageCodec.decode(new byte[] {1, 2, 3}, "image 0"))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("image 0: not a PNG or JPEG image (3 bytes, starting 010203)");
  }
}
