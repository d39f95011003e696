package ai.aegis.worker.validation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FencedJsonTest {

    @Test
    void takesTheFirstJsonFenceOutOfProse() {
        String text = "Intro\n```python\nprint(1)\n```\n```json\n{\"a\": 1}\n```\nthen\n```json\n{\"b\": 2}\n```";
        assertThat(FencedJson.extract(text)).isEqualTo("{\"a\": 1}");
    }

    @Test
    void tagIsCaseInsensitiveAndMayShareTheLine() {
        assertThat(FencedJson.extract("```JSON {\"a\": 1}```")).isEqualTo("{\"a\": 1}");
        assertThat(FencedJson.extract("```json\r\n[1, 2]\r\n```")).isEqualTo("[1, 2]");
    }

    @Test
    void untaggedFenceOnlyWhenItIsTheWholeText() {
        assertThat(FencedJson.extract("  ```\n{\"a\": 1}\n```  ")).isEqualTo("{\"a\": 1}");
        String codeInProse = "Run this:\n```\nls -l\n```\n";
        assertThat(FencedJson.extract(codeInProse)).isEqualTo(codeInProse.strip());
    }

    @Test
    void plainTextIsTrimmedAndNullIsEmpty() {
        assertThat(FencedJson.extract("\n {\"a\": 1} \n")).isEqualTo("{\"a\": 1}");
        assertThat(FencedJson.extract(null)).isEmpty();
    }
}
