"""RTSP server of the tests and benchmarks: local H.264 files at rtsp://ADDRESS:PORT/NAME, looping, with GStreamer.

Runs under Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0), not the project venv;
`RtspServer` in benchmarks/rtsp_server.py starts it.
Packets are passed through without re-encoding (demux ! h264parse ! rtph264pay). At the end of the file
the demuxer is sent back to the start while the timestamps keep going up, so clients see one endless
stream, as from a camera.

    /usr/bin/python3 rtsp_gst_server.py --port 0 --mount cam=/path/video.mp4 [--mount cam2=/path/b.mp4]
        [--user U --password P]

Prints "READY <port>" on stdout once it listens; SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

DEMUXERS = {".mp4": "qtdemux", ".mov": "qtdemux", ".m4v": "qtdemux", ".mkv": "matroskademux"}
ROLE = "viewer"


class Looper:
    """Restarts a media's file at its end; downstream elements see neither an EOS nor time going back."""

    def __init__(self, demux: Gst.Element, parse_sink: Gst.Pad) -> None:
        self.demux, self.pad = demux, parse_sink
        self.end = 0  # largest pts + duration seen in this pass (ns)
        self.offset = 0  # running-time offset added to the current pass (ns)
        self.looping = False
        parse_sink.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM
                             | Gst.PadProbeType.EVENT_FLUSH, self.probe)

    def probe(self, pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        """Track the pass's end; swallow EOS and the seek's flush; shift the new pass after the old one."""
        if info.type & Gst.PadProbeType.BUFFER:
            buf = info.get_buffer()
            if buf.pts != Gst.CLOCK_TIME_NONE:
                dur = buf.duration if buf.duration != Gst.CLOCK_TIME_NONE else 0
                self.end = max(self.end, buf.pts + dur)
            return Gst.PadProbeReturn.OK
        kind = info.get_event().type
        if kind == Gst.EventType.EOS:
            self.looping = True
            self.offset += self.end
            # Seeking from the streaming thread that carries the EOS would deadlock; the main loop does it.
            GLib.idle_add(self.rewind)
            return Gst.PadProbeReturn.DROP
        if self.looping and kind in (Gst.EventType.FLUSH_START, Gst.EventType.FLUSH_STOP):
            return Gst.PadProbeReturn.DROP  # downstream must not reset its clock: the stream goes on
        if self.looping and kind == Gst.EventType.SEGMENT:
            pad.set_offset(self.offset)
            self.looping = False
            self.end = 0
        return Gst.PadProbeReturn.OK

    def rewind(self) -> bool:
        """Seek the demuxer to the start of the file (GLib idle callback; runs once)."""
        if not self.demux.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0):
            print(f"rtsp_gst_server: cannot rewind {self.demux.get_name()}", file=sys.stderr, flush=True)
        return False


def make_factory(path: Path, user: str | None) -> GstRtspServer.RTSPMediaFactory:
    """Return a shared media factory streaming path in a loop (one pipeline for all clients of the mount)."""
    demuxer = DEMUXERS.get(path.suffix.lower())
    if demuxer is None:
        raise SystemExit(f"rtsp_gst_server: {path}: use an H.264 file in {', '.join(DEMUXERS)}")
    location = str(path).replace("\\", "\\\\").replace('"', '\\"')
    factory = GstRtspServer.RTSPMediaFactory()
    # config-interval=-1: SPS/PPS before every keyframe: a client joining a shared stream decodes at once.
    factory.set_launch(f'( filesrc location="{location}" ! {demuxer} name=demux ! h264parse name=parse '
                       f"! rtph264pay name=pay0 pt=96 config-interval=-1 )")
    factory.set_shared(True)
    loopers: list[Looper] = []  # keeps the probe callbacks' owners alive with the factory

    def configure(_factory: Any, media: GstRtspServer.RTSPMedia) -> None:
        bin_ = media.get_element()
        loopers.append(Looper(bin_.get_by_name("demux"), bin_.get_by_name("parse").get_static_pad("sink")))

    factory.connect("media-configure", configure)
    if user is not None:
        factory.add_role_from_structure(Gst.Structure.new_from_string(
            f"{ROLE}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"))
    return factory


def main(argv: list[str] | None = None) -> int:
    """Serve the mounts until SIGTERM or SIGINT."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port (printed in the READY line)")
    ap.add_argument("--mount", action="append", required=True, metavar="NAME=PATH")
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args(argv)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", ROLE)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
        server.set_auth(auth)
    mounts = server.get_mount_points()
    for spec in args.mount:
        name, sep, path = spec.partition("=")
        file = Path(path)
        if not sep or not name or not file.is_file():
            raise SystemExit(f"rtsp_gst_server: bad --mount {spec!r}: want NAME=PATH of an existing file")
        mounts.add_factory("/" + name.strip("/"), make_factory(file, args.user))
    if server.attach(None) == 0:
        raise SystemExit(f"rtsp_gst_server: cannot listen on {args.address}:{args.port}")
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
