/** The `gatehouse` CLI: the command program, and the S3 channel it shares with the control plane. */
export { buildProgram } from './program';
export { CliError, EXIT_DIFFERENT, EXIT_FAILED } from './errors';
