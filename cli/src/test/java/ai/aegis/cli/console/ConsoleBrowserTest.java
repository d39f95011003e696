package ai.aegis.cli.console;

import ai.aegis.cli.ApprovalWorkflows;
import ai.aegis.cli.TestSystem;
import ai.aegis.schemas.json.Json;
import ai.aegis.worker.llm.scripted.ScriptStep;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console in a real browser (headless Chromium through chromedriver) against the whole system with
 * workflows and approvals: log in with the token, watch an execution's events arrive live, decide two human
 * approvals (approve with feedback, reject with a reason) and see each run take its path, reach Approve by Tab.
 * Screenshots go to {@code target/console-screenshots/}.
 *
 * <p>Without {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} the test fails, unless
 * {@code -Daegis.test.browser=skip} is given (then it is aborted).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dataDir;
    static TestSystem system;
    static HeadlessChrome chrome;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChrome.requireInstalled();
        system = new TestSystem(dataDir, Map.of(
                "slow", List.of(
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"sleep 2; echo first-$((20+1))\"}")),
                        ScriptStep.toolCall("cmd.run", TestSystem.args("{\"command\":\"sleep 3; echo second\"}")),
                        ScriptStep.reply("slow answer: {{last_tool_stdout}}")),
                "echo", List.of(ScriptStep.reply("done: {{input}}"))), null, true);
        ApprovalWorkflows.deployReviewAgents(system);
        system.registerWorkflow(ApprovalWorkflows.draftReviewPublish("console-review", "timeout: 300s",
                "Publish {{draft.output}} with {{review.feedback}}"));

        Files.createDirectories(SHOTS);
        chrome = HeadlessChrome.start();
        browser = chrome.driver();
    }

    @AfterAll
    static void stop() {
        if (chrome != null) {
            chrome.close();
        }
        if (system != null) {
            system.close();
        }
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, WAIT, Duration.ofMillis(100));
    }

    private static void screenshot(String name) throws IOException {
        chrome.screenshot(SHOTS, name);
    }

    private static void open(String hash) {
        browser.get(system.base + "/console/" + hash);
    }

    @Test
    @Order(1)
    void nothingShowsWithoutLoggingInAndABadTokenIsRefused() throws Exception {
        open("#/executions");
        WebElement token = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        assertThat(browser.findElement(By.id("nav")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("view")).getText()).isEmpty();
        token.sendKeys("not-the-token", Keys.ENTER);
        waiting().until(ExpectedConditions.textToBe(By.id("login-error"), "That token was refused."));
        screenshot("login");
    }

    @Test
    @Order(2)
    void anExecutionsEventsArriveLiveThenItsFinalAnswer() throws Exception {
        open("");
        WebElement token = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        token.clear();
        token.sendKeys(system.token, Keys.ENTER);
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("nav")));
        assertThat(browser.findElement(By.id("who")).getText()).contains("aegis-operator");

        String agentId = system.deploy(TestSystem.agent("console-slow", "slow", 2));
        String executionId = system.startExecution(agentId, "the console test");
        open("#/executions");
        WebElement link = waiting().until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("#executions a[href='#/executions/" + executionId + "']")));
        screenshot("executions");
        link.click();

        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#events li[data-type='iteration_started']")));
        WebElement firstTool = waiting().until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#events li[data-type='tool_call']")));
        // live: the first tool call shows while the execution still runs (the second command sleeps 3 s)
        String status = Json.tree(system.get("/v1/executions/" + executionId).body()).get("status").asText();
        assertThat(status).isIn("running", "pending");
        assertThat(browser.findElement(By.id("answer")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("cancel")).isDisplayed()).isTrue();
        assertThat(firstTool.findElement(By.className("args")).getText()).contains("sleep 2; echo first-$((20+1))");
        assertThat(firstTool.findElement(By.className("result")).getText()).contains("first-21");
        assertThat(browser.findElement(By.id("events")).getAttribute("aria-live")).isEqualTo("polite");
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
                "arguments[0].scrollIntoView({block: 'center'})", firstTool);
        screenshot("execution-live");

        WebElement answer = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("final-output")));
        assertThat(answer.getText()).isEqualTo("slow answer: second");
        assertThat(browser.findElements(By.cssSelector("#events li[data-type='tool_call']"))).hasSize(2);
        assertThat(browser.findElements(By.cssSelector("#events li[data-type='execution_completed']"))).hasSize(1);
        waiting().until(ExpectedConditions.invisibilityOfElementLocated(By.id("cancel")));
        screenshot("execution-completed");
    }

    private static By card(String runId) {
        return By.xpath("//article[contains(@class,'approval')][.//a[contains(@href,'" + runId + "')]]");
    }

    @Test
    @Order(3)
    void approvalsAreDecidedInTheConsoleAndEachRunTakesItsPath() throws Exception {
        String approvedRun = system.runWorkflow("console-review", "otters");
        String rejectedRun = system.runWorkflow("console-review", "badgers");
        open("#/approvals");
        WebElement first = waiting().until(ExpectedConditions.visibilityOfElementLocated(card(approvedRun)));
        waiting().until(ExpectedConditions.visibilityOfElementLocated(card(rejectedRun)));
        assertThat(first.findElement(By.className("prompt")).getText())
                .isEqualTo("Please review: done: Draft about otters");
        waiting().until(d -> first.findElement(By.className("context")).getText().contains("draft"));

        // keyboard: from the top of the page, Tab reaches the first run's Approve button
        WebElement approve = first.findElement(By.cssSelector("button.approve"));
        browser.findElement(By.tagName("body")).click();
        boolean reached = false;
        for (int i = 0; i < 40 && !reached; i++) {
            browser.switchTo().activeElement().sendKeys(Keys.TAB);
            reached = browser.switchTo().activeElement().equals(approve);
        }
        assertThat(reached).as("the Approve button is reachable by Tab").isTrue();

        first.findElement(By.tagName("textarea")).sendKeys("Looks good");
        screenshot("approval");
        approve.sendKeys(Keys.ENTER);
        waiting().until(ExpectedConditions.textToBePresentInElement(first.findElement(By.className("result")),
                "approved"));

        WebElement second = browser.findElement(card(rejectedRun));
        second.findElement(By.cssSelector("textarea[name='reason']")).sendKeys("Needs more citations.");
        second.findElement(By.cssSelector("button.reject")).click();
        waiting().until(ExpectedConditions.textToBePresentInElement(second.findElement(By.className("result")),
                "rejected"));

        open("#/workflow-runs/" + approvedRun);
        waiting().until(ExpectedConditions.textToBe(By.id("run-state"), "publish"));
        waiting().until(ExpectedConditions.textToBe(By.cssSelector("#run-status .badge"), "completed"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#run-fsm svg g.state.current[data-state='publish']")));
        assertThat(browser.findElements(By.cssSelector("#run-fsm svg g.state"))).hasSize(4);
        waiting().until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#run-events li[data-type='workflow_completed']")));
        screenshot("workflow-approved");

        open("#/workflow-runs/" + rejectedRun);
        waiting().until(ExpectedConditions.textToBe(By.id("run-state"), "revise"));
        waiting().until(ExpectedConditions.textToBe(By.cssSelector("#run-status .badge"), "completed"));
        waiting().until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#run-fsm svg g.state.current[data-state='revise']")));
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"),
                "done: Revise because: Needs more citations."));
        screenshot("workflow-rejected");

        JsonNode end = Json.tree(system.get("/v1/workflows/executions/" + approvedRun).body());
        assertThat(end.get("state_outputs").get("publish").asText())
                .isEqualTo("done: Publish done: Draft about otters with Looks good");
    }

    @Test
    @Order(4)
    void theOtherPagesShowAndLogoutEndsTheSession() throws Exception {
        open("#/workflows");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#workflows a[href='#/workflows/console-review']")));
        open("#/stimuli");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "Stimuli"));
        open("#/dead-letters");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "No dead letters."));
        browser.findElement(By.id("logout")).click();
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        open("#/executions");
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        assertThat(browser.findElement(By.id("view")).getText()).isEmpty();
    }
}
