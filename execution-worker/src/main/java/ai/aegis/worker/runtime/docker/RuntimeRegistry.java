package ai.aegis.worker.runtime.docker;

import ai.aegis.worker.runtime.SandboxException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The standard runtimes: which image a {@code language} + {@code version} pair runs in, as the original system's
 * runtime registry maps them.
 * Loaded from a YAML (or JSON, which is YAML) file of the form {@code runtimes: {python: {"3.11": python:3.11-slim}}};
 * {@link #builtIn()} is the default shipped with the worker.
 *
 * @param images language (lower case) to version to image
 */
public record RuntimeRegistry(Map<String, Map<String, String>> images) {

    static final String BUILT_IN_RESOURCE = "runtime-registry.yaml";

    /** Plain YAML, not the shared snake_case mapper: the file is read as a tree, never bound to records. */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public RuntimeRegistry {
        Map<String, Map<String, String>> copy = new TreeMap<>();
        images.forEach((language, versions) -> copy.put(language.toLowerCase(Locale.ROOT),
                Collections.unmodifiableMap(new TreeMap<>(versions))));
        images = Collections.unmodifiableMap(copy);
    }

    /** The registry shipped with the worker. */
    public static RuntimeRegistry builtIn() {
        try (InputStream in = RuntimeRegistry.class.getResourceAsStream(BUILT_IN_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + BUILT_IN_RESOURCE + " is missing next to "
                        + RuntimeRegistry.class.getName());
            }
            return parse(YAML.readTree(in), "built-in " + BUILT_IN_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in " + BUILT_IN_RESOURCE, e);
        }
    }

    /** Reads a registry file; a malformed one is an {@link IOException} naming the file and what is wrong. */
    public static RuntimeRegistry load(Path file) throws IOException {
        JsonNode root;
        try (InputStream in = Files.newInputStream(file)) {
            root = YAML.readTree(in);
        }
        return parse(root, file.toString());
    }

    private static RuntimeRegistry parse(JsonNode root, String source) throws IOException {
        JsonNode runtimes = root == null ? null : root.get("runtimes");
        if (runtimes == null || !runtimes.isObject()) {
            throw new IOException(source + ": expected a top-level 'runtimes' map of language -> version -> image");
        }
        Map<String, Map<String, String>> images = new TreeMap<>();
        for (Map.Entry<String, JsonNode> language : runtimes.properties()) {
            if (!language.getValue().isObject()) {
                throw new IOException(source + ": runtimes." + language.getKey() + " must map versions to images");
            }
            Map<String, String> versions = new TreeMap<>();
            for (Map.Entry<String, JsonNode> version : language.getValue().properties()) {
                JsonNode image = version.getValue();
                if (!image.isTextual() || image.asText().isBlank()) {
                    throw new IOException(source + ": runtimes." + language.getKey() + "." + version.getKey()
                            + " must be an image name");
                }
                versions.put(version.getKey(), image.asText().trim());
            }
            images.put(language.getKey(), versions);
        }
        return new RuntimeRegistry(images);
    }

    /**
     * The image for a pair. An unknown pair fails the execution at its start, naming the pair and what is known,
     * so that the manifest's author can correct it.
     */
    public String image(String language, String version) throws SandboxException {
        String lang = language == null ? "" : language.trim().toLowerCase(Locale.ROOT);
        String ver = version == null ? "" : version.trim();
        Map<String, String> versions = images.get(lang);
        String image = versions == null ? null : versions.get(ver);
        if (image == null) {
            throw new SandboxException("no standard runtime for language '" + language + "' version '" + version
                    + "'; known: " + String.join(", ", knownPairs()));
        }
        return image;
    }

    /** Every pair as {@code "language version"}, sorted. */
    public List<String> knownPairs() {
        List<String> pairs = new ArrayList<>();
        images.forEach((language, versions) -> versions.keySet().forEach(v -> pairs.add(language + " " + v)));
        return List.copyOf(pairs);
    }
}
