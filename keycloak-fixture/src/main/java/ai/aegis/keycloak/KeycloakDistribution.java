package ai.aegis.keycloak;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * The unpacked Keycloak server distribution: the build of this module unpacks it into its {@code target/} and
 * writes where into {@code keycloak-fixture.properties}; the system property {@value #PROPERTY} points elsewhere.
 *
 * <p>Keycloak keeps its state under its home directory ({@code data/}: the dev database, the realms to import),
 * and the home is where {@code bin/kc.sh} is. So each server gets a home of its own ({@link #newHome}): a copy of
 * {@code kc.sh}, its own {@code data/}, and links to the distribution's {@code lib}, {@code conf}, {@code themes} and
 * {@code providers}. The links are on purpose: the first start-dev rebuilds the server for the dev profile into
 * {@code lib/quarkus} (about 30 s), and through the link every later server on this distribution reuses that build.
 */
record KeycloakDistribution(Path home, String version) {

    static final String PROPERTY = "aegis.keycloak.home";
    private static final List<String> SHARED = List.of("lib", "conf", "themes", "providers");

    static KeycloakDistribution locate() {
        Properties built = new Properties();
        try (InputStream in = KeycloakDistribution.class.getResourceAsStream("keycloak-fixture.properties")) {
            if (in == null) {
                throw new IllegalStateException("keycloak-fixture.properties is missing from the class path");
            }
            built.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read keycloak-fixture.properties", e);
        }
        String home = System.getProperty(PROPERTY, built.getProperty("home"));
        KeycloakDistribution distribution = new KeycloakDistribution(Path.of(home).toAbsolutePath(),
                built.getProperty("version"));
        if (!Files.isRegularFile(distribution.kcSh()) || !Files.isRegularFile(
                distribution.home.resolve("lib").resolve("quarkus-run.jar"))) {
            throw new IllegalStateException("no Keycloak distribution at " + distribution.home + ": the build of"
                    + " module keycloak-fixture unpacks it (mvn -pl keycloak-fixture -am test-compile),"
                    + " or set -D" + PROPERTY + "=<an unpacked keycloak-quarkus-dist>");
        }
        return distribution;
    }

    Path kcSh() {
        return home.resolve("bin").resolve("kc.sh");
    }

    /** A lock file of the distribution: starts take it, so that two never rebuild {@code lib/quarkus} at once. */
    Path startLock() {
        return home.resolve(".aegis-start.lock");
    }

    /** Lays out a home for one server in the empty or missing directory {@code dir}; returns its data directory. */
    Path newHome(Path dir) {
        try {
            Files.createDirectories(dir.resolve("bin"));
            Files.copy(kcSh(), dir.resolve("bin").resolve("kc.sh"));
            for (String shared : SHARED) {
                Files.createSymbolicLink(dir.resolve(shared), home.resolve(shared));
            }
            return Files.createDirectories(dir.resolve("data"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out a Keycloak home in " + dir, e);
        }
    }
}
