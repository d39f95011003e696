package ai.aegis.cli.bench;

import ai.aegis.ingress.IngressConfig;
import ai.aegis.ingress.IngressServer;
import ai.aegis.ingress.auth.OidcIssuer;
import ai.aegis.ingress.auth.OidcSettings;
import ai.aegis.schemas.topic.TopicCatalog;
import ai.aegis.topology.kafka.KafkaSettings;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What authentication costs a request: {@code GET /v1/agents} on an ingress with authentication off, and on one
 * that checks OIDC tokens (of an issuer of the benchmark's own, its JWKS served over HTTP on loopback), with the
 * local API token and with an OIDC access token (the same token each time, so verified once and then found in the
 * cache), side by side in each repetition, on the same broker and the same registry.
 */
final class AuthScenario {

    private AuthScenario() {
    }

    static ScenarioResult run(ScenarioOptions options, String servers, Path dir, PrintStream out)
            throws IOException, InterruptedException {
        Duration warmup = Duration.ofSeconds(options.warmupSeconds());
        Duration length = Duration.ofSeconds(options.seconds());
        TopicCatalog topics = new TopicCatalog("benchauth" + UUID.randomUUID().toString().substring(0, 8), 3);
        KafkaSettings kafka = KafkaSettings.of(servers, topics, "bench-auth");
        List<Load.Counts> open = new ArrayList<>();
        List<Load.Counts> local = new ArrayList<>();
        List<Load.Counts> oidc = new ArrayList<>();
        RSAKey key;
        try {
            key = new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IOException("cannot make a signing key", e);
        }
        HttpServer jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] keys = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/realms/bench/protocol/openid-connect/certs", ex -> {
            ex.sendResponseHeaders(200, keys.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(keys);
            }
        });
        jwks.start();
        String issuer = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/realms/bench";
        try (IngressServer unauthenticated = IngressServer.start(IngressConfig.from(Config.just(ConfigSources.create(
                Map.of("aegis.auth.mode", "none"))).get("aegis"), dir.resolve("open")).withPort(0), kafka);
             IngressServer authenticated = IngressServer.start(IngressConfig.from(Config.empty(), dir.resolve("auth"))
                     .withPort(0).toBuilder().oidc(new OidcSettings(List.of(new OidcIssuer(issuer,
                             Set.of("aegis-api"), null, List.of())), OidcSettings.DEFAULT_ROLES_CLAIM,
                             OidcSettings.DEFAULT_CLOCK_SKEW, OidcSettings.DEFAULT_CACHED_TOKENS,
                             OidcSettings.DEFAULT_KEYS_TTL)).build(), kafka)) {
            String localToken = Files.readString(authenticated.tokenFile()).strip();
            String accessToken = sign(key, issuer);
            Supplier<HttpRequest> none = get(unauthenticated.port(), null);
            Supplier<HttpRequest> byLocal = get(authenticated.port(), localToken);
            Supplier<HttpRequest> byOidc = get(authenticated.port(), accessToken);
            Load load = new Load(options.connections());
            try {
                // not counted: the JIT's warm-up, and the first check of the token (then cached)
                load.measure(none, warmup, length);
                load.measure(byLocal, warmup, length);
                load.measure(byOidc, warmup, length);
                for (int i = 1; i <= options.repeats(); i++) {
                    open.add(load.measure(none, warmup, length));
                    local.add(load.measure(byLocal, warmup, length));
                    oidc.add(load.measure(byOidc, warmup, length));
                    out.printf(Locale.ROOT, "bench auth: %d/%d: no auth %.0f req/s, local token %.0f req/s, OIDC "
                                    + "token %.0f req/s%n", i, options.repeats(), open.getLast().okPerSecond(),
                            local.getLast().okPerSecond(), oidc.getLast().okPerSecond());
                }
            } finally {
                load.close();
            }
        } finally {
            jwks.stop(0);
        }
        List<Figure> figures = new ArrayList<>();
        for (var phase : List.of(new Phase("no authentication", open), new Phase("local API token", local),
                new Phase("OIDC token (cached)", oidc))) {
            figures.add(new Figure("GET /v1/agents, " + phase.name(), "req/s", Load.Counts.perSecond(phase.counts()),
                    "200 answers per second, " + options.connections() + " requests in flight"));
            figures.add(new Figure("GET /v1/agents, " + phase.name() + ": p50", "ms", latency(phase.counts(), false),
                    "from just before the send to the answer"));
            figures.add(new Figure("GET /v1/agents, " + phase.name() + ": p99", "ms", latency(phase.counts(), true),
                    "the same, 99th percentile"));
            figures.add(new Figure("GET /v1/agents, " + phase.name() + ": errors", "count",
                    phase.counts().stream().map(c -> (double) c.errors()).toList(),
                    "per measurement: any answer but 200, or none"));
        }
        figures.add(new Figure("OIDC token / no authentication", "×", Load.Counts.ratios(oidc, open), "closed-loop rates, per "
                + "repetition: what checking a cached OIDC token and its role costs against no check"));
        figures.add(new Figure("local token / no authentication", "×", Load.Counts.ratios(local, open), "the same for the "
                + "local API token (a constant-time comparison)"));
        String setup = String.format(Locale.ROOT, "Two ingress nodes on the same broker and topics (the same "
                + "registry, empty), one with authentication off, one that accepts the local API token and the "
                + "access tokens of an issuer of the benchmark's own (RS256, its JWKS served on loopback); "
                + "`GET /v1/agents` on each: without a token, with the local token, with one OIDC token sent on "
                + "every request (verified once, its hash then found in the cache until its `exp`). %d virtual "
                + "threads share one `java.net.http` client (keep-alive), closed loop; each measurement runs %d s "
                + "after %d s not counted; a first round of all three is not counted. The client runs in the same "
                + "JVM and shares the cores.", options.connections(), options.seconds(), options.warmupSeconds());
        return new ScenarioResult("auth", setup, figures, List.of("A token sent once (not cached) costs one RS256 "
                + "signature check more; this scenario does not measure that case."));
    }

    private record Phase(String name, List<Load.Counts> counts) {
    }

    private static Supplier<HttpRequest> get(int port, String token) {
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/agents");
        return () -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return b.build();
        };
    }

    /** An operator's access token valid for an hour, as a realm would sign it. */
    private static String sign(RSAKey key, String issuer) throws IOException {
        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), new JWTClaimsSet.Builder().issuer(issuer).subject("bench")
                .audience("aegis-api").claim("preferred_username", "bench")
                .claim("realm_access", Map.of("roles", List.of("aegis-operator"))).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(3600))).build());
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IOException("cannot sign the token", e);
        }
        return jwt.serialize();
    }


    private static List<Double> latency(List<Load.Counts> counts, boolean p99) {
        return counts.stream().map(c -> c.latency() == null ? Double.NaN : p99 ? c.latency().p99()
                : c.latency().median()).toList();
    }

}
