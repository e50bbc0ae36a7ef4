/**
 * What a session hears from its socket. Named functions rather than closures over the session,
 * so a profile shows which event a turn spent its time in.
 */
import type { RawData, WebSocket } from 'ws';

/** The session's side of its socket's events. */
export interface SocketListener {
  receive(data: RawData, isBinary: boolean): void;
  pongReceived(): void;
  handleClose(code: number): void;
  logError(error: Error): void;
}

export function listenToSocket(socket: WebSocket, session: SocketListener): void {
  socket.on('message', (data, isBinary) => socketOnMessage(session, data, isBinary));
  socket.on('pong', () => socketOnPong(session));
  socket.on('close', (code) => socketOnClose(session, code));
  socket.on('error', (error) => socketOnError(session, error));
}

function socketOnMessage(session: SocketListener, data: RawData, isBinary: boolean): void {
  session.receive(data, isBinary);
}

function socketOnPong(session: SocketListener): void {
  session.pongReceived();
}

function socketOnClose(session: SocketListener, code: number): void {
  session.handleClose(code);
}

function socketOnError(session: SocketListener, error: Error): void {
  session.logError(error);
}
