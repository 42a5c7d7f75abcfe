import { Argument, Command } from "commander";
import { SHELLS, bashCompletion, zshCompletion, type Shell } from "../completion.js";

export function completionCommand(): Command {
  return new Command("completion")
    .summary("print a shell completion script (bash or zsh)")
    .description(
      "Print the completion script for bash or zsh, generated from this command's own " +
        "subcommands and options. bash: `source <(collector-mesh completion bash)` (in ~/.bashrc, " +
        "or save it in /etc/bash_completion.d/collector-mesh). zsh: `collector-mesh completion " +
        'zsh > "${fpath[1]}/_collector-mesh"`, or `source <(collector-mesh completion zsh)` ' +
        "after compinit.",
    )
    .addArgument(new Argument("<shell>", "bash or zsh").choices(SHELLS))
    .action((shell: Shell, _opts: unknown, cmd: Command) => {
      const program = cmd.parent ?? cmd;
      process.stdout.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });
}
