package ai.aegis.keycloak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The JDK that runs Keycloak, which is not necessarily the one running the tests: Keycloak supports only some
 * feature releases. The JDK is found by its {@code release} file (what it says it is, without starting it), among
 * the system property {@value #PROPERTY} (which must then be a supported one), the JDKs under {@code /usr/lib/jvm}
 * (Linux) and {@code /Library/Java/JavaVirtualMachines} (macOS), and the JVM running the tests. 17 comes first: it
 * is the one the environment notes name for Keycloak and the fixture was measured on; 26.7.3 also started and
 * served here on 25 (no rebuild, the same start time), so a machine with the project's JDK alone still works.
 */
final class KeycloakJava {

    static final String PROPERTY = "aegis.keycloak.java.home";
    /** In order of preference. */
    static final List<Integer> SUPPORTED = List.of(17, 21, 25);
    private static final Path LINUX_JDKS = Path.of("/usr/lib/jvm");
    private static final Path MACOS_JDKS = Path.of("/Library/Java/JavaVirtualMachines");

    private KeycloakJava() {
    }

    /** The home of a supported JDK, or an exception that says where it looked and what to install. */
    static Path home() {
        String chosen = System.getProperty(PROPERTY);
        if (chosen != null && !chosen.isBlank()) {
            Path home = Path.of(chosen);
            return major(home).filter(SUPPORTED::contains).map(v -> home).orElseThrow(() ->
                    new IllegalStateException(PROPERTY + "=" + chosen + " is not a JDK " + SUPPORTED
                            + " (no bin/java, or its release file says another version)"));
        }
        List<Path> candidates = candidates();
        return candidates.stream()
                .filter(home -> major(home).filter(SUPPORTED::contains).isPresent())
                .min(Comparator.comparingInt(home -> SUPPORTED.indexOf(major(home).orElseThrow())))
                .orElseThrow(() -> new IllegalStateException("Keycloak needs a JDK " + SUPPORTED
                        + "; none among " + candidates + ". Install one (Debian: apt-get install"
                        + " openjdk-17-jdk-headless) or set -D" + PROPERTY + "=<its home>"));
    }

    /** The feature version a JDK's {@code release} file states ({@code JAVA_VERSION="17.0.15"} is 17). */
    static Optional<Integer> major(Path home) {
        Path release = home.resolve("release");
        if (!Files.isExecutable(home.resolve("bin").resolve("java")) || !Files.isRegularFile(release)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (var in = Files.newBufferedReader(release)) {
            properties.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
        String feature = properties.getProperty("JAVA_VERSION", "").replace("\"", "").split("[.+-]")[0];
        return feature.matches("\\d+") ? Optional.of(Integer.parseInt(feature)) : Optional.empty();
    }

    private static List<Path> candidates() {
        // one entry per real directory: /usr/lib/jvm has aliases (java-1.17.0-openjdk-amd64 -> java-17-...)
        Set<Path> homes = new LinkedHashSet<>();
        list(LINUX_JDKS).forEach(dir -> homes.add(realPath(dir)));
        list(MACOS_JDKS).forEach(dir -> homes.add(realPath(dir.resolve("Contents").resolve("Home"))));
        homes.add(realPath(Path.of(System.getProperty("java.home"))));
        return new ArrayList<>(homes);
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir.toAbsolutePath();
        }
    }
}
