package ai.aegis.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code aegis completion}: a bash/zsh completion script for every command and option (picocli AutoComplete). */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a bash/zsh completion script.",
                "bash: source <(aegis completion)   zsh: autoload -U +X bashcompinit && bashcompinit; "
                        + "source <(aegis completion)"})
final class CompletionCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        CommandLine root = spec.root().commandLine();
        String script = AutoComplete.bash("aegis", root);
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
    }
}
