package ai.aegis.worker.runtime;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pure-Python Ed25519 inside bootstrap.py: RFC 8032 §7.1 vectors byte for byte, and signatures that BouncyCastle
 * verifies (and reproduces: Ed25519 is deterministic) for random keys and messages.
 */
class Ed25519VectorsTest {

    private static final HexFormat HEX = HexFormat.of();

    /** Signs every case with bootstrap.py and prints {"results": [{public_key, signature}]}. */
    private static final String SIGNER = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import bootstrap
            cases = json.load(sys.stdin)
            results = []
            for case in cases:
                seed, message = bytes.fromhex(case["seed"]), bytes.fromhex(case["message"])
                results.append({"public_key": bootstrap.ed25519_public_key(seed).hex(),
                                "signature": bootstrap.ed25519_sign(seed, message).hex()})
            print(json.dumps({"results": results}))
            """;

    record Vector(String name, String seed, String publicKey, String message, String signature) {
    }

    // RFC 8032 §7.1, TEST 1, 2, 3 and TEST 1024 (its 1023-byte message).
    private static final List<Vector> RFC_8032 = List.of(
            new Vector("TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
            new Vector("TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
            new Vector("TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
                    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
            new Vector("TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
                    "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
                    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
                    + "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
                    + "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
                    + "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
                    + "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
                    + "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
                    + "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
                    + "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
                    + "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
                    + "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
                    + "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
                    + "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
                    + "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
                    + "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
                    + "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
                    + "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
                    + "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
                    + "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
                    + "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
                    + "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
                    + "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
                    + "c60c905c15fc910840b94c00a0b9d0",
                    "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"));

    @TempDir
    Path dir;

    @Test
    void rfc8032VectorsMatchByteForByte() throws Exception {
        assertThat(RFC_8032.get(3).message()).hasSize(2 * 1023);
        JsonNode results = sign(RFC_8032.stream().map(v -> new String[] {v.seed(), v.message()}).toList())
                .path("results");

        assertThat(results).hasSize(RFC_8032.size());
        for (int i = 0; i < RFC_8032.size(); i++) {
            Vector vector = RFC_8032.get(i);
            assertThat(results.get(i).path("public_key").asText()).as(vector.name()).isEqualTo(vector.publicKey());
            assertThat(results.get(i).path("signature").asText()).as(vector.name()).isEqualTo(vector.signature());
            // The vectors themselves, as transcribed here, are what BouncyCastle accepts.
            assertThat(verify(HEX.parseHex(vector.publicKey()), HEX.parseHex(vector.message()),
                    HEX.parseHex(vector.signature()))).as(vector.name()).isTrue();
        }
    }

    @Test
    void bouncyCastleVerifiesPythonSignaturesAndRejectsTamperedOnes() throws Exception {
        Random random = new Random(8032);
        List<byte[]> seeds = new ArrayList<>();
        List<byte[]> messages = new ArrayList<>();
        String[] texts = {"", "héllo wörld", "tool call ✓ 日本語 🎉", "{\"payload\":{\"name\":\"fs.read\"}}"};
        for (String text : texts) {
            messages.add(text.getBytes(StandardCharsets.UTF_8));
        }
        for (int length : new int[] {1, 31, 32, 33, 64, 1000, 4096}) {
            byte[] message = new byte[length];
            random.nextBytes(message);
            messages.add(message);
        }
        for (int i = 0; i < messages.size(); i++) {
            byte[] seed = new byte[32];
            random.nextBytes(seed);
            seeds.add(seed);
        }
        List<String[]> cases = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            cases.add(new String[] {HEX.formatHex(seeds.get(i)), HEX.formatHex(messages.get(i))});
        }

        JsonNode answer = sign(cases);
        JsonNode results = answer.path("results");

        assertThat(results).hasSize(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            byte[] publicKey = HEX.parseHex(results.get(i).path("public_key").asText());
            byte[] signature = HEX.parseHex(results.get(i).path("signature").asText());
            byte[] message = messages.get(i);
            Ed25519PrivateKeyParameters bcKey = new Ed25519PrivateKeyParameters(seeds.get(i), 0);
            assertThat(publicKey).as("public key %d", i).isEqualTo(bcKey.generatePublicKey().getEncoded());
            assertThat(signature).as("signature %d", i).hasSize(64).isEqualTo(bcSign(bcKey, message));
            assertThat(verify(publicKey, message, signature)).as("verifies %d", i).isTrue();

            byte[] tampered = message.length == 0 ? new byte[] {0} : message.clone();
            tampered[tampered.length - 1] ^= 0x01;
            assertThat(verify(publicKey, tampered, signature)).as("tampered message %d", i).isFalse();
            byte[] badSignature = signature.clone();
            badSignature[7] ^= 0x40;
            assertThat(verify(publicKey, message, badSignature)).as("tampered signature %d", i).isFalse();
        }
    }

    private JsonNode sign(List<String[]> cases) throws IOException, InterruptedException {
        BootstrapScript.extractTo(dir);
        Process process = new ProcessBuilder("python3", "-c", SIGNER, dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var in = process.getOutputStream()) {
            in.write(Json.writeBytes(cases.stream().map(c -> Map.of("seed", c[0], "message", c[1])).toList()));
        }
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        return Json.MAPPER.readTree(out);
    }

    private static byte[] bcSign(Ed25519PrivateKeyParameters key, byte[] message) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, key);
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
        verifier.update(message, 0, message.length);
        return verifier.verifySignature(signature);
    }
}
