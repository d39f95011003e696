package ai.aegis.ingress.auth;

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

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An identity provider for fast tests: RSA keys of its own, their JWKS served over real HTTP on a free loopback
 * port (as a realm serves its certs), and tokens signed like an access token of Keycloak's. Its key set can be
 * rotated, and it counts the fetches of its JWKS.
 */
final class LocalIssuer implements AutoCloseable {

    static final String AUDIENCE = "aegis-api";

    private final HttpServer server;
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile RSAKey signing;
    private volatile List<RSAKey> published;

    LocalIssuer() throws Exception {
        signing = newKey();
        published = List.of(signing);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/realms/test/protocol/openid-connect/certs", exchange -> {
            fetches.incrementAndGet();
            byte[] body = new JWKSet(published.stream().map(k -> (com.nimbusds.jose.jwk.JWK) k.toPublicJWK())
                    .toList()).toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    static RSAKey newKey() throws Exception {
        return new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
    }

    String issuer() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
    }

    OidcIssuer config() {
        return new OidcIssuer(issuer(), java.util.Set.of(AUDIENCE), null, List.of());
    }

    int fetches() {
        return fetches.get();
    }

    /** A new signing key, published beside the old one (as a realm rotates: the old one still verifies). */
    RSAKey rotate() throws Exception {
        RSAKey next = newKey();
        published = List.of(next, signing);
        signing = next;
        return next;
    }

    /** An access token of {@code user} with realm roles {@code roles}, valid for five minutes. */
    String token(String user, String... roles) throws Exception {
        return token(c -> c.claim("preferred_username", user).claim("realm_access", Map.of("roles", List.of(roles))));
    }

    /** A token with the usual claims, changed by {@code change}, signed with the current key. */
    String token(Consumer<JWTClaimsSet.Builder> change) throws Exception {
        return sign(signing, change);
    }

    String sign(RSAKey key, Consumer<JWTClaimsSet.Builder> change) throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(issuer()).subject(UUID.randomUUID().toString())
                .audience(List.of(AUDIENCE, "account")).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300))).jwtID(UUID.randomUUID().toString());
        change.accept(claims);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims.build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    URI jwks() {
        return URI.create(issuer() + "/protocol/openid-connect/certs");
    }

    @Override
    public void close() {
        server.stop(0);
    }

}
