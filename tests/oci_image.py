"""Build a one-layer OCI image archive from busybox-static, offline (no registry is reachable)."""
import hashlib
import io
import json
import shutil
import subprocess
import tarfile


def layer(busybox=None):
    """A rootfs tar: busybox-static and its applets."""
    busybox = busybox or shutil.which("busybox") or "/bin/busybox"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for d in ("bin", "dev", "proc", "sys", "tmp", "etc"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        t.add(busybox, "bin/busybox")
        for applet in subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split():
            if applet != "busybox":
                info = tarfile.TarInfo("bin/" + applet)
                info.type, info.linkname = tarfile.SYMTYPE, "busybox"
                t.addfile(info)
    return buf.getvalue()


def _add(t, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))


def _blob(t, data):
    digest = hashlib.sha256(data).hexdigest()
    _add(t, "blobs/sha256/" + digest, data)
    return "sha256:" + digest, len(data)


def build(path, tag="latest"):
    with tarfile.open(path, "w") as t:
        layer_digest, layer_size = _blob(t, layer())
        config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
                  "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}
        config_digest, config_size = _blob(t, json.dumps(config).encode())
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                               "size": config_size},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest,
                                "size": layer_size}]}
        manifest_digest, manifest_size = _blob(t, json.dumps(manifest).encode())
        _add(t, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        index = {"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
            "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": tag}}]}
        _add(t, "index.json", json.dumps(index).encode())
