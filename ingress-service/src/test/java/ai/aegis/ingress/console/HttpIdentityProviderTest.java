package ai.aegis.ingress.console;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link HttpIdentityProvider} against a real HTTP server on loopback: the discovery document is fetched once and
 * kept, one that names another issuer is refused, an answer past the size limit is refused, the token endpoint's
 * form and its OAuth error are read.
 */
class HttpIdentityProviderTest {

    private final HttpServer server;
    private final String issuer;
    private final AtomicInteger discoveries = new AtomicInteger();
    private volatile String discoveryBody;
    private volatile String receivedForm;

    HttpIdentityProviderTest() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/aegis";
        server.createContext("/realms/aegis/.well-known/openid-configuration", x -> {
            discoveries.incrementAndGet();
            answer(x, 200, discoveryBody);
        });
        server.createContext("/realms/aegis/token", x -> {
            receivedForm = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            answer(x, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Code not valid\"}");
        });
        server.start();
        discoveryBody = "{\"issuer\":\"" + issuer + "\",\"authorization_endpoint\":\"" + issuer + "/auth\","
                + "\"token_endpoint\":\"" + issuer + "/token\"}";
    }

    private static void answer(com.sun.net.httpserver.HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void theDiscoveryDocumentIsFetchedOnceAndTheTokenEndpointsErrorIsRead() {
        HttpIdentityProvider provider = new HttpIdentityProvider(issuer);
        IdentityProvider.Endpoints endpoints = provider.endpoints();
        assertThat(endpoints).isEqualTo(new IdentityProvider.Endpoints(issuer, URI.create(issuer + "/auth"),
                URI.create(issuer + "/token")));
        assertThat(provider.endpoints()).isSameAs(endpoints);
        assertThat(discoveries).hasValue(1);

        IdentityProvider.TokenAnswer answer = provider.redeem(endpoints.token(),
                new java.util.LinkedHashMap<>(Map.of("code", "a b&c")));
        assertThat(receivedForm).isEqualTo("code=a+b%26c");
        assertThat(answer).isEqualTo(new IdentityProvider.TokenAnswer(null, null, "invalid_grant", "Code not valid"));
    }

    @Test
    void aDocumentOfAnotherIssuerOrPastTheSizeLimitIsRefusedAndAskedForAgain() {
        HttpIdentityProvider provider = new HttpIdentityProvider(issuer);
        String genuine = discoveryBody;
        discoveryBody = genuine.replace("\"issuer\":\"" + issuer, "\"issuer\":\"https://elsewhere.test");
        assertThatThrownBy(provider::endpoints).hasMessageContaining("names the issuer 'https://elsewhere.test");

        discoveryBody = genuine.replace("}", ",\"padding\":\"" + "x".repeat(300 * 1024) + "\"}");
        assertThatThrownBy(provider::endpoints).hasMessageContaining("answered more than 262144 bytes");

        // a failure is not kept: the next login asks again
        discoveryBody = genuine;
        assertThat(provider.endpoints().issuer()).isEqualTo(issuer);
        assertThat(discoveries).hasValue(3);
    }
}
