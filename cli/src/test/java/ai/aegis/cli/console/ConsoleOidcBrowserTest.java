package ai.aegis.cli.console;

import ai.aegis.cli.AegisSystem;
import ai.aegis.cli.ApprovalWorkflows;
import ai.aegis.cli.TestSystem;
import ai.aegis.keycloak.AegisRealm;
import ai.aegis.keycloak.KeycloakServer;
import ai.aegis.keycloak.SharedKeycloak;
import ai.aegis.worker.llm.scripted.ScriptStep;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's "Sign in with ..." against a real Keycloak (the shared one, realm {@link AegisRealm}, its public
 * client {@value AegisRealm#CONSOLE_CLIENT_ID}) in a real browser (headless Chromium): an operator signs in on
 * Keycloak's own form and lands in the console, logged in, where the executions page shows; a viewer signs in and
 * is refused deciding an approval (the API's 403, shown on the card); a callback with a forged state lands on the
 * login screen with its error. Screenshots go to {@code target/console-screenshots/}.
 *
 * <p>Without {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} the test fails, unless
 * {@code -Daegis.test.browser=skip} is given (then it is aborted), as {@link ConsoleBrowserTest}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleOidcBrowserTest {

    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(60);
    @TempDir
    static Path dataDir;
    static KeycloakServer keycloak;
    static TestSystem system;
    static HeadlessChrome chrome;
    static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChrome.requireInstalled();
        keycloak = SharedKeycloak.get();
        Map<String, String> settings = new HashMap<>(TestSystem.trusting(keycloak));
        settings.put("aegis.console.oidc.issuer", keycloak.issuer());
        settings.put("aegis.console.oidc.client-id", AegisRealm.CONSOLE_CLIENT_ID);
        system = new TestSystem(dataDir, Map.of("echo", List.of(ScriptStep.reply("shipped: {{input}}"))), null,
                EnumSet.allOf(AegisSystem.Service.class), settings);
        system.deploy(TestSystem.agent("shipper", "echo", 1));
        system.registerWorkflow(ApprovalWorkflows.reviewThenShip("oidc-review", "timeout: 300s"));

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
        // the shared Keycloak stays: SharedKeycloak stops it at JVM exit
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, WAIT, Duration.ofMillis(100));
    }

    private static void screenshot(String name) throws IOException {
        chrome.screenshot(SHOTS, name);
    }

    /** From the console's login screen through Keycloak's form back into the console, logged in. */
    private static void signIn(AegisRealm.User user, String screenshot) throws IOException {
        // a fresh browser state: no Keycloak session (which would sign the last user in again) and no console cookie
        browser.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        browser.get(system.base + "/console/");
        WebElement button = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("oidc-login")));
        assertThat(button.getText()).isEqualTo("Sign in with " + keycloak.issuer());
        assertThat(browser.findElement(By.id("token")).isDisplayed()).as("the token field stays beside it").isTrue();
        if (screenshot != null) {
            screenshot(screenshot);
        }
        button.click();
        WebElement username = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("username")));
        assertThat(browser.getCurrentUrl()).startsWith(keycloak.issuer() + "/protocol/openid-connect/auth?")
                .contains("code_challenge_method=S256");
        username.sendKeys(user.username());
        browser.findElement(By.id("password")).sendKeys(user.password());
        browser.findElement(By.id("kc-login")).click();
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("nav")));
        assertThat(browser.getCurrentUrl()).startsWith(system.base + "/console/");
        waiting().until(ExpectedConditions.textToBe(By.id("who"), user.username() + " (" + user.role() + ")"));
    }

    @Test
    @Order(1)
    void anOperatorSignsInOnKeycloaksFormAndTheExecutionsPageShows() throws Exception {
        signIn(AegisRealm.ALICE, "oidc-login");
        String executionId = system.startExecution(system.deploy(TestSystem.agent("oidc-echo", "echo", 1)),
                "signed in");
        browser.get(system.base + "/console/#/executions");
        waiting().until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("#executions a[href='#/executions/" + executionId + "']")));
        screenshot("oidc-executions");
        // the cookie is the access token, which the API checks as any bearer: the console's calls are alice's
        assertThat(browser.manage().getCookieNamed("aegis_console").isHttpOnly()).isTrue();

        browser.findElement(By.id("logout")).click();
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    }

    @Test
    @Order(2)
    void aViewerSignsInAndIsRefusedDecidingAnApproval() throws Exception {
        String runId = system.runWorkflow("oidc-review", "v9");

        signIn(AegisRealm.VICTOR, null);
        browser.get(system.base + "/console/#/approvals");
        By card = By.xpath("//article[contains(@class,'approval')][.//a[contains(@href,'" + runId + "')]]");
        WebElement approval = waiting().until(ExpectedConditions.visibilityOfElementLocated(card));
        approval.findElement(By.cssSelector("button.approve")).click();
        waiting().until(ExpectedConditions.textToBePresentInElement(approval.findElement(By.className("result")),
                "needs the role aegis-approver"));
        assertThat(approval.findElement(By.className("result")).getText()).startsWith("Failed:")
                .contains("victor");
        screenshot("oidc-viewer-refused");
        // still pending: the refusal decided nothing
        assertThat(system.get("/v1/human-approvals").body()).contains(runId);
    }

    @Test
    @Order(3)
    void aCallbackWithAForgedStateShowsTheLoginScreenWithItsError() {
        browser.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        browser.get(system.base + "/console/oidc/callback?code=stolen&state=forged");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("login-error"),
                "That sign-in expired, was already used or was not started in this browser"));
        assertThat(browser.getCurrentUrl()).isEqualTo(system.base + "/console/");
        assertThat(browser.findElement(By.id("nav")).isDisplayed()).isFalse();
    }
}
