"""Command line: `tfal` (or `python -m tfal.main`) --gin_file=F [--gin_file=G ...] [--gin_bindings=B ...] [--run_dir=D].

Three kinds of flags only (as dopamine): every hyper-parameter is a gin binding. Several gin files
compose in order; later bindings override earlier ones. Re-running the same command on the same run
directory resumes the campaign. A --gin_file is the user's own file when it exists as given, else
one of tfal's (`gin_configs/mnist_1label_cpu.gin` or `mnist_1label_cpu.gin`, from any directory).

Gin files and SavedModels are code: resuming someone else's run directory runs their gin
configuration, serving their export runs their graph. Use the ones you trust.
"""

from __future__ import annotations

import contextlib
import logging as std_logging
import os
import sys

from absl import app, flags, logging

from tfal import heap, interrupt, run_lock

flags.DEFINE_multi_string(
    "gin_file",
    [],
    "Gin config file(s), applied in order. A gin file is code (it can name any importable"
    " function): use files you trust.",
)
flags.DEFINE_multi_string(
    "gin_bindings", [], "Gin bindings applied after the files, e.g. 'ActiveLearningLoop.seed=3'."
)
flags.DEFINE_string(
    "run_dir",
    None,
    "Run directory (default: runs/<stem of every gin file, joined by '+'>-seed<ActiveLearningLoop.seed>).",
)
flags.DEFINE_bool(
    "allow_config_change", False, "Resume a run directory under a different gin configuration."
)
flags.DEFINE_bool(
    "traceback",
    False,
    "Show the full Python traceback of a refused input instead of one line (also TFAL_DEBUG=1).",
)
FLAGS = flags.FLAGS


def rerunnable_command() -> list[str]:
    """This invocation as command.txt records it: the directory it ran in, then this Python with
    `-m tfal.main` and the same flags, so the line runs again as written (sys.argv[0] is a path
    to main.py or to the `tfal` script)."""
    return ["cd", os.getcwd(), "&&", sys.executable, "-m", "tfal.main", *sys.argv[1:]]


def main(argv: list[str]) -> int:
    del argv
    with interrupt.handlers():
        try:
            return _campaign()
        except interrupt.Interrupted as e:  # Ctrl-C or SIGTERM: stopped where it is safe to
            print(f"tfal: {e}", file=sys.stderr)
            return e.exit_code


def _campaign() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    heap.few_arenas()  # before TensorFlow's threads: fewer heaps, less memory kept free in them
    heap.pooled_tensors()  # before its first tensor: TensorFlow's own pool, not malloc's heap
    # TensorFlow's (and faiss') own INFO lines drown tfal's progress lines.
    logging.get_absl_handler().addFilter(_only_tfal_info)
    logging.get_absl_handler().setFormatter(_ConsoleFormatter())
    with contextlib.ExitStack() as held:
        try:
            # Another run holding --run_dir is refused at once, before TensorFlow's import.
            if FLAGS.run_dir:
                held.enter_context(run_lock.hold(FLAGS.run_dir))
            from tfal.monitoring import quiet_start

            quiet_start.tensorflow_started()  # the banner comes first, not TensorFlow's start
            from tfal import campaign  # deferred: TensorFlow loads only once the flags are valid

            std_logging.getLogger("tensorflow").setLevel(std_logging.WARNING)
            campaign.parse_gin(FLAGS.gin_file, FLAGS.gin_bindings)
            run_dir = FLAGS.run_dir or campaign.default_run_dir(
                FLAGS.gin_file, campaign.campaign_seed()
            )
            state = campaign.run(
                run_dir,
                command=rerunnable_command(),
                allow_config_change=FLAGS.allow_config_change,
                gin_files=FLAGS.gin_file,
            )
        except Exception as e:
            return _refused(e)
    logging.info("campaign finished: %d labeled; results in %s", len(state.labeled_idx), run_dir)
    return 0


def _refused(error: Exception) -> int:
    """A refused input or a failed write: one line and exit 2 (3: waiting for labels)."""
    from tfal import write_errors

    # tfal.campaign (and TensorFlow) only when it was loaded: a busy directory is refused before.
    campaign = sys.modules.get("tfal.campaign")
    user_errors = campaign.USER_ERRORS if campaign else (ValueError, OSError)
    if campaign and isinstance(error, campaign.LabelsPending):
        print(f"tfal: waiting for labels: {error}", file=sys.stderr)
        return 3
    error = write_errors.as_os_error(error)
    if not isinstance(error, user_errors):
        raise error
    if FLAGS.traceback or os.environ.get("TFAL_DEBUG") == "1":
        raise error  # a real bug must never hide behind a one-line error
    text = str(error).strip()
    message = text.splitlines()[0] if text else type(error).__name__
    print(f"tfal: error: {message}", file=sys.stderr)
    return 2


def _only_tfal_info(record) -> bool:
    """INFO lines from tfal only; warnings and errors from everything (TensorFlow logs through absl)."""
    return record.levelno >= std_logging.WARNING or "/tfal/" in record.pathname.replace("\\", "/")


class _ConsoleFormatter(std_logging.Formatter):
    """tfal's log lines in the console's format: an INFO line is its message (as the progress
    lines are), a warning or an error says so; not absl's `I1204 13:11:19.665 12345 file.py:79]`."""

    def format(self, record: std_logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if record.levelno >= std_logging.WARNING:
            return f"tfal: {record.levelname.lower()}: {message}"
        return message


def _parse_flags(argv: list[str]) -> list[str]:
    """absl's parsing, with a bad flag reported like every other bad input (one line, exit 2).

    --help shows tfal's own flags however tfal was started (the `tfal` script or `-m tfal.main`).
    """
    if any(arg in ("--help", "-h", "-?", "--helpshort") for arg in argv[1:]):
        print(__doc__)
        print(FLAGS.module_help(sys.modules[__name__]))
        sys.exit(0)
    try:
        return FLAGS(argv)
    except flags.Error as e:
        print(f"tfal: error: {str(e).strip().splitlines()[0]}", file=sys.stderr)
        sys.exit(2)


def run() -> None:
    """Console-script entry point."""
    app.run(main, flags_parser=_parse_flags)


if __name__ == "__main__":
    run()
