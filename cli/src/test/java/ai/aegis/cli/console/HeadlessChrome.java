package ai.aegis.cli.console;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The browser of the console's tests: Debian's Chromium, headless, driven by its chromedriver. Missing, the test
 * fails and says what to install, unless {@code -Daegis.test.browser=skip} is given (then it is aborted), as the
 * Docker tests do.
 */
final class HeadlessChrome implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final ChromeDriverService service;
    private final ChromeDriver driver;

    private HeadlessChrome(ChromeDriverService service, ChromeDriver driver) {
        this.service = service;
        this.driver = driver;
    }

    /** Fails (or aborts, when asked to skip) before anything starts if the browser is not installed. */
    static void requireInstalled() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String missing = CHROMIUM + " or " + CHROMEDRIVER + " is missing";
            if ("skip".equals(System.getProperty("aegis.test.browser"))) {
                Assumptions.abort(missing + " and -Daegis.test.browser=skip was given");
            }
            fail(missing + ": install Debian's chromium and chromium-driver (CI's .ci/run does), or pass "
                    + "-Daegis.test.browser=skip");
        }
    }

    /** A 1280x800 window; {@code --no-sandbox} because the tests may run as root. */
    static HeadlessChrome start() {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--force-device-scale-factor=1");
        return new HeadlessChrome(service, new ChromeDriver(service, options));
    }

    ChromeDriver driver() {
        return driver;
    }

    /** Saves what the window shows as {@code dir/name.png}. */
    void screenshot(Path dir, String name) throws IOException {
        File shot = driver.getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        driver.quit();
        service.stop();
    }
}
