package ai.aegis.keycloak;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** Which JDK runs Keycloak: read from a JDK's release file, without starting Keycloak. */
class KeycloakJavaTest {

    @Test
    void theMajorVersionIsTheFeatureReleaseInTheReleaseFile(@TempDir Path dir) throws IOException {
        assertThat(KeycloakJava.major(jdk(dir.resolve("a"), "JAVA_VERSION=\"17.0.15\""))).contains(17);
        assertThat(KeycloakJava.major(jdk(dir.resolve("b"), "JAVA_VERSION=\"25\""))).contains(25);
        assertThat(KeycloakJava.major(jdk(dir.resolve("c"), "JAVA_VERSION=\"21-ea\""))).contains(21);
        assertThat(KeycloakJava.major(jdk(dir.resolve("d"), "IMPLEMENTOR=\"nobody\""))).isEmpty();
    }

    @Test
    void aDirectoryWithoutAJavaIsNoJdk(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("release"), "JAVA_VERSION=\"17.0.15\"\n");

        assertThat(KeycloakJava.major(dir)).isEmpty();
    }

    @Test
    void theChosenJdkIsASupportedOne() {
        assertThat(KeycloakJava.major(KeycloakJava.home())).hasValueSatisfying(
                major -> assertThat(KeycloakJava.SUPPORTED).contains(major));
    }

    private static Path jdk(Path home, String release) throws IOException {
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), release + "\n");
        Files.createFile(home.resolve("bin").resolve("java"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        return home;
    }
}
