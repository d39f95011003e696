package ai.aegis.worker.smcp.crypto;

import ai.aegis.topology.secrets.SecretFiles;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.Base64;

/**
 * The orchestrator key that signs SMCP security tokens: RSA 2048, RS256 (verification, the per-call cost, is a few
 * tens of microseconds; signing happens once per attestation). Its {@code kid} is its RFC 7638 thumbprint.
 *
 * <p>Where it comes from: a configured file (a PKCS#8 PEM {@code PRIVATE KEY}, or a private JWK), or else one
 * generated at the first start and kept under the data directory with mode 0600 (as a private JWK). The private
 * half is never logged and never leaves the process.
 */
public final class SigningKey {

    private static final System.Logger LOG = System.getLogger(SigningKey.class.getName());

    private final RSAKey key;

    private SigningKey(RSAKey key) {
        this.key = key;
    }

    /** Reads {@code file}, creating it (a new key, mode 0600) when absent. */
    public static SigningKey loadOrCreate(Path file) {
        try {
            if (!Files.exists(file)) {
                SecretFiles.createIfAbsent(file, generate().toJSONString().getBytes(StandardCharsets.UTF_8));
            }
            return load(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the SMCP signing key " + file, e);
        }
    }

    /** Reads a configured key file: a PKCS#8 PEM private key or a private RSA JWK. */
    public static SigningKey load(Path file) throws IOException {
        if (SecretFiles.othersMayAccess(file)) {
            LOG.log(System.Logger.Level.WARNING, "the SMCP signing key " + file + " is readable by others than its "
                    + "owner: chmod 600 it");
        }
        String text = Files.readString(file).strip();
        try {
            RSAKey parsed = text.startsWith("-----BEGIN") ? fromPem(text) : RSAKey.parse(text);
            if (!parsed.isPrivate()) {
                throw new IllegalArgumentException("the SMCP signing key " + file + " has no private part");
            }
            return new SigningKey(withThumbprintId(parsed));
        } catch (ParseException | JOSEException | java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the SMCP signing key " + file + " is not an RSA private key (PKCS#8 "
                    + "PEM or JWK): " + e.getMessage());
        }
    }

    /** A key that lives only as long as the process (tests, and a worker configured without a data directory). */
    public static SigningKey ephemeral() {
        return new SigningKey(generate());
    }

    public RSAKey privateJwk() {
        return key;
    }

    public RSAKey publicJwk() {
        return key.toPublicJWK();
    }

    public String keyId() {
        return key.getKeyID();
    }

    private static RSAKey generate() {
        try {
            return new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256)
                    .keyIDFromThumbprint(true).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate an RSA key", e);
        }
    }

    private static RSAKey fromPem(String pem) throws java.security.GeneralSecurityException {
        if (!pem.contains("BEGIN PRIVATE KEY")) {
            throw new IllegalArgumentException("a PEM signing key must be PKCS#8 (BEGIN PRIVATE KEY); convert with "
                    + "openssl pkcs8 -topk8 -nocrypt");
        }
        String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        KeyFactory rsa = KeyFactory.getInstance("RSA");
        RSAPrivateCrtKey priv = (RSAPrivateCrtKey) rsa.generatePrivate(
                new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        RSAPublicKey pub = (RSAPublicKey) rsa.generatePublic(new RSAPublicKeySpec(priv.getModulus(),
                priv.getPublicExponent()));
        return new RSAKey.Builder(pub).privateKey(priv).build();
    }

    private static RSAKey withThumbprintId(RSAKey k) throws JOSEException {
        return new RSAKey.Builder(k).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256)
                .keyID(k.computeThumbprint().toString()).build();
    }
}
