package ai.aegis.worker.smcp.crypto;

import com.nimbusds.jose.jwk.RSAKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SigningKeyTest {

    @TempDir
    Path dir;

    @Test
    void aKeyIsMadeOnceOwnerOnlyAndReadBackTheSame() throws Exception {
        Path file = dir.resolve("data/smcp-signing-key.jwk");

        SigningKey first = SigningKey.loadOrCreate(file);
        SigningKey again = SigningKey.loadOrCreate(file);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(again.keyId()).isEqualTo(first.keyId()).isEqualTo(first.publicJwk().computeThumbprint().toString());
        assertThat(first.publicJwk().isPrivate()).isFalse();
        assertThat(first.privateJwk().isPrivate()).isTrue();
        assertThat(Files.list(file.getParent())).containsExactly(file); // no temporary file left behind
    }

    @Test
    void aPkcs8PemIsReadAndAPublicKeyIsRefused() throws Exception {
        RSAKey generated = SigningKey.ephemeral().privateJwk();
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(
                generated.toRSAPrivateKey().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        Path file = dir.resolve("key.pem");
        Files.writeString(file, pem);

        assertThat(SigningKey.load(file).keyId()).isEqualTo(generated.computeThumbprint().toString());

        Path pub = dir.resolve("public.jwk");
        Files.writeString(pub, generated.toPublicJWK().toJSONString());
        assertThatThrownBy(() -> SigningKey.load(pub)).hasMessageContaining("no private part");
        Path junk = dir.resolve("junk");
        Files.writeString(junk, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----");
        assertThatThrownBy(() -> SigningKey.load(junk)).hasMessageContaining("PKCS#8");
    }

    @Test
    void anotherNodesKeyIsLearnedOnlyUnderItsOwnThumbprint() throws Exception {
        KeyRing ring = new KeyRing(SigningKey.ephemeral(), 2);
        RSAKey other = SigningKey.ephemeral().publicJwk();
        String kid = other.getKeyID();

        assertThatThrownBy(() -> ring.learn("someone-else", other.toJSONString()))
                .hasMessageContaining("thumbprint");
        assertThatThrownBy(() -> ring.learn(kid, SigningKey.ephemeral().privateJwk().toJSONString()))
                .hasMessageContaining("public RSA JWK");
        assertThat(ring.verifier(kid)).isEmpty();

        ring.learn(kid, other.toJSONString());
        assertThat(ring.verifier(kid)).isPresent();
        assertThat(ring.jwks().toString()).contains(kid);
        // bounded: past its capacity the ring forgets the key it learned first
        for (int i = 0; i < 2; i++) {
            RSAKey more = SigningKey.ephemeral().publicJwk();
            ring.learn(more.getKeyID(), more.toJSONString());
        }
        assertThat(ring.verifier(kid)).isEmpty();
        assertThat(ring.verifier(ring.own().keyId())).isPresent();
    }
}
