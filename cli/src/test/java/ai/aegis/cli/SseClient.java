package ai.aegis.cli;

import ai.aegis.schemas.json.Json;
import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/** A minimal Server-Sent Events reader over the JDK HTTP client: real HTTP, frames parsed as the spec says. */
final class SseClient {

    /** One frame: its id and its data (parsed JSON), plus the raw lines for framing checks. */
    record Frame(String id, JsonNode data, List<String> lines) {
        String type() {
            return data.fieldNames().next();
        }

        JsonNode body() {
            return data.get(type());
        }
    }

    /** What a stream returned: its status and the frames until the server closed it. */
    record Result(int status, String contentType, List<Frame> frames) {
        List<String> types() {
            return frames.stream().map(Frame::type).toList();
        }
    }

    private SseClient() {
    }

    /** Reads the stream to its end (the server closes it after the terminal event). */
    static Result read(HttpClient http, String url, String token, String lastEventId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(60));
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> res = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofLines());
        List<Frame> frames = new ArrayList<>();
        List<String> current = new ArrayList<>();
        try (Stream<String> lines = res.body()) {
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (!line.isEmpty()) {
                    current.add(line);
                    continue;
                }
                String id = null;
                String data = null;
                for (String l : current) {
                    if (l.startsWith("id:")) {
                        id = l.substring(3).strip();
                    } else if (l.startsWith("data:")) {
                        data = l.substring(5).strip();
                    }
                }
                if (data != null) {
                    frames.add(new Frame(id, Json.tree(data), List.copyOf(current)));
                }
                current.clear();
            }
        }
        return new Result(res.statusCode(), res.headers().firstValue("content-type").orElse(""), frames);
    }
}
