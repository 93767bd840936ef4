/**
 * The busybox sh script cases of issue 8: each is a `busybox sh -c` text (or
 * a script file) with the stdout, exit status and, where deterministic,
 * stderr a shell user expects, written by hand. The reference run (qemu-
 * aarch64 with its binfmt entry, test/e2e/sh-reference.test.ts) must give
 * exactly that, and elfuse must give what the reference gives
 * (test/e2e/busybox-sh.test.ts).
 *
 * In the texts, @BIN@ stands for the directory of busybox applet links that
 * is the whole PATH, and @W@ for the working directory; both paths are the
 * same for every runner. A case's files are created in @W@ first.
 *
 * Where qemu-user is a weak reference (signals between processes, SIGPIPE,
 * `timeout`, `kill`), the expectation was also checked by running the same
 * case with Debian's busybox-static 1.35 for amd64 natively on the Linux
 * kernel (ELFUSE_SH_NATIVE_BUSYBOX in sh-reference.test.ts): the same
 * source and version, but not the same binary, since no native Linux runs
 * the arm64 one here.
 */

export interface ShFile {
  text: string;
  /** 0o644 unless given. */
  mode?: number;
}

export interface ShCase {
  name: string;
  /** Guest arguments after the busybox path; default ['sh', '-c', script]. */
  argv?: readonly string[];
  script?: string;
  files?: Record<string, ShFile>;
  /** Bytes on stdin (empty otherwise). */
  input?: string;
  stdout: string;
  status: number;
  /** Compared too when given: only for messages that do not depend on timing. */
  stderr?: string;
}

const lines = (...l: string[]): string => l.join('\n');
const exe = (...l: string[]): ShFile => ({ text: `${lines(...l)}\n`, mode: 0o755 });

export const SH_CASES: readonly ShCase[] = [
  // --- exit status, $?, set -e, functions (no other process) ---
  {
    name: '$? after builtins and exit',
    script: 'false; echo $?; true; echo $?; (exit 42); echo $?',
    stdout: '1\n0\n42\n',
    status: 0,
  },
  {
    name: 'exit status of sh -c is the last command\'s',
    script: 'echo one; false',
    stdout: 'one\n',
    status: 1,
  },
  {
    name: 'set -e stops at the first failing command',
    script: 'set -e; echo a; if false; then :; fi; false || echo b; false; echo never',
    stdout: 'a\nb\n',
    status: 1,
  },
  {
    name: 'functions: arguments, local, return status, recursion',
    script: lines(
      'f() { local x=$1; echo "f:$x:$#"; return 3; }',
      'f a b; echo $?',
      'fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }',
      'fact 6',
    ),
    stdout: 'f:a:2\n3\n720\n',
    status: 0,
  },
  {
    name: 'parameter expansion, arithmetic and while loops',
    script: lines(
      'x=foo.tar.gz; echo ${x%%.*} ${x#*.} ${x%.gz} ${#x} ${y:-def}',
      'i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo $i',
      'set -- p q r; echo $# "$2" "$@"',
      'case $x in *.gz) echo gz;; *) echo other;; esac',
    ),
    stdout: 'foo tar.gz foo.tar 10 def\n5\n3 q p q r\ngz\n',
    status: 0,
  },
  // --- pipelines and their exit status ---
  {
    name: 'three-stage pipeline',
    script: "printf 'b\\na\\nc\\n' | sort | tr a-z A-Z",
    stdout: 'A\nB\nC\n',
    status: 0,
  },
  {
    name: 'pipeline status is the last command\'s; ! negates',
    script: 'true | false; echo $?; false | true; echo $?; ! true; echo $?; ! false | false; echo $?',
    stdout: '1\n0\n1\n0\n',
    status: 0,
  },
  {
    name: 'exit status of sh -c through a pipe',
    script: 'seq 3 | grep 9',
    stdout: '',
    status: 1,
  },
  {
    name: 'set -o pipefail',
    script: 'set -o pipefail; false | true; echo $?; true | (exit 4) | true; echo $?',
    stdout: '1\n4\n',
    status: 0,
  },
  {
    name: 'SIGPIPE: a writer ends when its reader does (status 141)',
    script: 'yes | head -n 2; echo $?; set -o pipefail; yes | head -n 1 >/dev/null; echo $?',
    stdout: 'y\ny\n0\n141\n',
    status: 0,
  },
  {
    name: 'pipeline over 100,000 lines',
    script: "seq 1 100000 | sed 's/1/x/g' | sort -r | md5sum",
    // md5sum of the same stream from the host's GNU seq, sed, sort -r (LC_ALL=C).
    stdout: 'f9e468087df52240122622a4a57011e4  -\n',
    status: 0,
  },
  {
    name: 'stdin passes through a pipeline',
    script: 'cat | tr a-z A-Z | rev',
    input: 'abc\nhello\n',
    stdout: 'CBA\nOLLEH\n',
    status: 0,
  },
  {
    name: 'read loop from a pipe runs in a subshell',
    script: lines(
      "printf 'x 1\\ny 2\\n' | while read k v; do echo \"$v=$k\"; done",
      "n=0; printf 'a\\nb\\n' | while read l; do n=$((n + 1)); done; echo $n",
    ),
    stdout: '1=x\n2=y\n0\n',
    status: 0,
  },
  // --- command substitution ---
  {
    name: 'command substitution with a pipeline',
    script: 'x=$(echo hello | tr h H); echo "$x ${#x}"',
    stdout: 'Hello 5\n',
    status: 0,
  },
  {
    name: 'nested command substitution',
    script: 'echo $(echo a $(echo b $(echo c | tr c C)))',
    stdout: 'a b C\n',
    status: 0,
  },
  {
    name: 'command substitution strips trailing newlines; backquotes; its status',
    script: "x=$(printf 'a\\n\\n\\n'); echo \"[$x]\"; y=`basename /p/q`; echo $y; z=$(exit 7); echo $?",
    stdout: '[a]\nq\n7\n',
    status: 0,
  },
  {
    name: '$$ and $PPID across subshells and children',
    script: lines(
      'p=$$; x=$(echo $$); [ "$p" = "$x" ] && echo same',
      'sh -c \'echo $PPID\' > ppid; [ "$(cat ppid)" = "$$" ] && echo ppid-ok',
      '[ "$(sh -c \'echo $$\')" != "$$" ] && echo new-pid',
    ),
    stdout: 'same\nppid-ok\nnew-pid\n',
    status: 0,
  },
  // --- subshells ---
  {
    name: 'subshell variables and cwd do not leak',
    script: 'x=1; (x=2; cd /; echo in $x $(pwd)); echo out $x; pwd',
    stdout: 'in 2 /\nout 1\n@W@\n',
    status: 0,
  },
  {
    name: 'subshell exit status',
    script: '(exit 5); echo $?; (echo a; exit 2) | cat; echo $?; (false) || echo or',
    stdout: '5\na\n0\nor\n',
    status: 0,
  },
  // --- PATH lookup of applet links ---
  // Debian's busybox is built to prefer its applets (FEATURE_SH_STANDALONE):
  // sh runs an applet name without a PATH search, by exec of /proc/self/exe
  // (or in a forked child for NOEXEC applets); names that are no applet go
  // through PATH.
  {
    name: 'applet names need no PATH search; which and env search PATH',
    script: 'command -v ls; type sort; which cat; env which which; PATH=/nonexistent; ls -d /; echo $?',
    stdout: 'ls\nsort is sort\n@BIN@/cat\n@BIN@/which\n/\n0\n',
    status: 0,
  },
  {
    name: 'command not found: 127 and the message',
    script: 'nosuchcmd; echo $?; PATH=/nonexistent; nosuch2 a; echo $?',
    stdout: '127\n127\n',
    stderr: 'sh: nosuchcmd: not found\nsh: nosuch2: not found\n',
    status: 0,
  },
  {
    name: 'a PATH directory added in front: its scripts are found, applet names stay busybox\'s',
    script: lines(
      'mkdir d',
      "printf '#!@BIN@/sh\\necho mine \"$@\"\\n' > d/mytool; cp d/mytool d/ls; chmod +x d/mytool d/ls",
      'PATH="$PWD/d:$PATH"; mytool -l x; command -v mytool; ls -d d',
    ),
    stdout: 'mine -l x\n@W@/d/mytool\nd\n',
    status: 0,
  },
  {
    name: 'an applet run by its absolute path and a not-executable file',
    script: '@BIN@/echo direct; echo x > plain; ./plain; echo $?',
    stdout: 'direct\n126\n',
    stderr: 'sh: ./plain: Permission denied\n',
    status: 0,
  },
  // --- redirections and here-documents ---
  {
    name: 'redirections: >, >>, <',
    script: 'echo a > f; echo b >> f; cat < f; wc -l < f',
    stdout: 'a\nb\n2\n',
    status: 0,
  },
  {
    name: 'stderr into a pipe with 2>&1',
    script: "ls /nonexistent 2>&1 | sed 's/^/E: /'; ls /nonexistent 2>/dev/null; echo $?",
    stdout: 'E: ls: /nonexistent: No such file or directory\n1\n',
    status: 0,
  },
  {
    name: 'exec redirections of the shell itself',
    script: lines(
      'exec 3> f3; echo to3 >&3; exec 3>&-; cat f3',
      'exec 4< f3; read line <&4; echo "got $line"',
      'exec 5>&1; exec > o; echo hidden; exec 1>&5 5>&-; cat o',
    ),
    stdout: 'to3\ngot to3\nhidden\n',
    status: 0,
  },
  {
    name: 'noclobber refuses to overwrite',
    script: 'set -C; echo a > f; echo b > f; echo $?; cat f; echo c >| f; cat f',
    stdout: '1\na\nc\n',
    stderr: "sh: can't create f: File exists\n",
    status: 0,
  },
  {
    name: 'here-documents: expanded, quoted, <<-',
    script: lines('x=world', 'cat <<EOF', 'hello $x', '$(echo sub)', 'EOF', "cat <<'EOF'", 'raw $x', 'EOF', 'cat <<-EOF', '\tindented', '\tEOF'),
    stdout: 'hello world\nsub\nraw $x\nindented\n',
    status: 0,
  },
  {
    name: 'here-document into a read loop',
    script: lines('while read a b; do echo "$b-$a"; done <<EOF', '1 one', '2 two', 'EOF'),
    stdout: 'one-1\ntwo-2\n',
    status: 0,
  },
  // --- background jobs and wait ---
  {
    name: 'background job and wait',
    script: '(sleep 0.5; echo late) & echo early; wait; echo done',
    stdout: 'early\nlate\ndone\n',
    status: 0,
  },
  {
    name: 'wait $! returns the job\'s status',
    script: '(exit 3) & p=$!; wait $p; echo $?; false & wait $!; echo $?; true & wait $!; echo $?',
    stdout: '3\n1\n0\n',
    status: 0,
  },
  {
    name: 'several background jobs, then wait',
    script: '( for i in 3 1 2; do echo $i & done; wait ) | sort; echo all',
    stdout: '1\n2\n3\nall\n',
    status: 0,
  },
  // --- kill and trap ---
  {
    name: 'kill -TERM of a background job: status 143',
    script: 'sleep 100 & p=$!; kill -TERM $p; wait $p; echo $?',
    stdout: '143\n',
    status: 0,
  },
  {
    name: 'a child killed by SIGKILL: status 137',
    script: "sh -c 'kill -KILL $$'; echo $?",
    stdout: '137\n',
    stderr: 'Killed\n',
    status: 0,
  },
  {
    name: 'kill -l and kill -0',
    script: 'kill -l 15; kill -l 9; kill -0 $$; echo $?',
    stdout: 'TERM\nKILL\n0\n',
    status: 0,
  },
  {
    name: 'trap on a signal the shell sends itself',
    script: "trap 'echo got USR1' USR1; kill -USR1 $$; echo after",
    stdout: 'got USR1\nafter\n',
    status: 0,
  },
  {
    name: 'trap ... EXIT runs on exit and keeps the status',
    script: "trap 'echo bye' EXIT; echo hi; exit 3",
    stdout: 'hi\nbye\n',
    status: 3,
  },
  {
    name: 'a child\'s TERM trap, signalled by its parent',
    script: lines(
      'sh -c \'trap "echo child term; exit 7" TERM; touch ready; while :; do sleep 0.1; done\' & p=$!',
      'until [ -e ready ]; do sleep 0.1; done',
      'kill $p; wait $p; echo $?',
    ),
    stdout: 'child term\n7\n',
    status: 0,
  },
  {
    name: 'an ignored signal stays ignored across fork and exec',
    script: "trap '' INT; sh -c 'kill -INT $$; echo survived'; echo $?",
    stdout: 'survived\n0\n',
    status: 0,
  },
  // --- xargs, find -exec, timeout ---
  {
    name: 'xargs builds command lines',
    script: "printf 'a\\nb\\nc\\n' | xargs echo X; printf '1 2 3 4 5' | xargs -n 2 echo",
    stdout: 'X a b c\n1 2\n3 4\n5\n',
    status: 0,
  },
  {
    name: 'xargs reports a failed command as 123',
    script: "echo x | xargs sh -c 'exit 3'; echo $?",
    stdout: '123\n',
    status: 0,
  },
  {
    name: 'find -exec with ; and +',
    script: 'mkdir -p t/a t/b; touch t/a/1 t/b/2; find t -type f -exec echo F {} \\; | sort; find t -type f -exec ls {} + | sort',
    stdout: 'F t/a/1\nF t/b/2\nt/a/1\nt/b/2\n',
    status: 0,
  },
  {
    name: 'timeout kills a slow command (143, or 137 with -s KILL) and passes a fast one\'s status',
    script: 'timeout 1 sleep 5; echo $?; timeout -s KILL 1 sleep 5; echo $?; timeout 5 sh -c "exit 6"; echo $?',
    stdout: '143\n137\n6\n',
    stderr: 'Terminated\nKilled\n',
    status: 0,
  },
  // --- scripts: #! lines, sh FILE, . FILE, exec ---
  {
    name: 'a #! script run by path',
    files: { 's.sh': exe('#!@BIN@/sh', 'echo "args: $# $1"', 'exit 4') },
    script: './s.sh one two; echo $?',
    stdout: 'args: 2 one\n4\n',
    status: 0,
  },
  {
    name: 'a #! line with an argument, and #!.../env sh looking sh up in PATH',
    files: {
      'e.sh': exe('#!@BIN@/env sh', 'echo env-ok "$0"'),
      'x.sh': exe('#!@BIN@/sh -e', 'false', 'echo not reached'),
    },
    script: './e.sh; ./x.sh; echo $?',
    stdout: 'env-ok ./e.sh\n1\n',
    status: 0,
  },
  {
    name: 'sh script.sh with a #!/bin/sh line, arguments and $0',
    files: { 'script.sh': { text: lines('#!/bin/sh', 'echo "$0: $*"', 'for a; do echo "<$a>"; done', 'exit 2') + '\n' } },
    argv: ['sh', 'script.sh', 'a b', 'c'],
    stdout: 'script.sh: a b c\n<a b>\n<c>\n',
    status: 2,
  },
  {
    name: 'a script found in PATH, and . of a file of functions',
    files: { 'lib.sh': { text: 'greet() { echo "hi $1"; }\n' }, 'tools/hello': exe('#!@BIN@/sh', 'echo hello from $(basename $0)') },
    script: 'PATH="$PWD/tools:$PATH"; hello; . ./lib.sh; greet you',
    stdout: 'hello from hello\nhi you\n',
    status: 0,
  },
  {
    name: 'exec replaces the shell',
    script: 'exec echo replaced; echo never',
    stdout: 'replaced\n',
    status: 0,
  },
  // --- the environment of a process: ulimit, umask, cd, pwd -P ---
  {
    name: 'ulimit is inherited by children',
    script: "ulimit -n 64; ulimit -n; sh -c 'ulimit -n'; ulimit -c 0; ulimit -c",
    stdout: '64\n64\n0\n',
    status: 0,
  },
  {
    name: 'umask applies to files and is inherited',
    script: "umask 027; touch f; ls -l f | cut -c1-10; sh -c 'umask'",
    stdout: '-rw-r-----\n0027\n',
    status: 0,
  },
  {
    name: 'cd through a symlink: pwd, pwd -P, and the pwd applet',
    script: 'mkdir -p real/sub; ln -s real/sub link; cd link; pwd; pwd -P; "$(command -v pwd)"; cd ..; pwd',
    stdout: '@W@/link\n@W@/real/sub\n@W@/link\n@W@\n',
    status: 0,
  },
  {
    name: 'environment: exported variables reach children, others do not',
    script: "A=1; export B=2; C=3 sh -c 'echo \"${A:-unset} $B $C\"'; env -i sh -c 'echo $PATH'",
    stdout: 'unset 2 3\n/sbin:/usr/sbin:/bin:/usr/bin\n',
    status: 0,
  },
];
