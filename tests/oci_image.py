"""OCI images built offline from busybox-static (no registry outside is reachable): one layer each.

`build` writes an OCI image archive (what `ctr images import` and `podman load` take); `layout` writes an
OCI image layout directory (what skopeo copies into a registry). A layer is busybox and its applets plus
any extra files; `files` maps a path in the image to bytes, or to (bytes, mode) for a mode other than 0644.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile


def layer(busybox=None, files=None, with_busybox=True, hardlinks=False):
    """A rootfs tar: busybox-static and its applets (unless with_busybox is false), then `files`. The applets are
    symlinks, or hard links as in Docker Hub's busybox images when `hardlinks` (masking one then hides that one)."""
    busybox = busybox or shutil.which("busybox") or "/bin/busybox"
    buf = io.BytesIO()
    dirs = set()

    def mkdirs(t, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in dirs:
                dirs.add(d)
                info = tarfile.TarInfo(d)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)

    with tarfile.open(fileobj=buf, mode="w") as t:
        for d in ("bin", "dev", "proc", "sys", "tmp", "etc"):
            mkdirs(t, d + "/x")
        if with_busybox:
            t.add(busybox, "bin/busybox")
            for applet in subprocess.run([busybox, "--list"], capture_output=True, text=True,
                                         check=True).stdout.split():
                if applet != "busybox":
                    info = tarfile.TarInfo("bin/" + applet)
                    # A hard link's header mode is applied to the file it links (containerd's unpacker
                    # chmods it), so it must be busybox's own.
                    info.type, info.linkname = ((tarfile.LNKTYPE, "bin/busybox") if hardlinks
                                                else (tarfile.SYMTYPE, "busybox"))
                    info.mode = 0o755
                    t.addfile(info)
        for path, content in sorted((files or {}).items()):
            data, mode = content if isinstance(content, tuple) else (content, 0o644)
            path = path.lstrip("/")
            mkdirs(t, path)
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _image(put, tag, config, files, with_busybox, hardlinks=False):
    """Writes blobs and index through put(name, bytes); returns the manifest digest."""
    def blob(data):
        digest = hashlib.sha256(data).hexdigest()
        put("blobs/sha256/" + digest, data)
        return "sha256:" + digest, len(data)

    layer_digest, layer_size = blob(layer(files=files, with_busybox=with_busybox, hardlinks=hardlinks))
    image_config = {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    image_config.update(config or {})
    image_config = {k: v for k, v in image_config.items() if v is not None}
    config_digest, config_size = blob(json.dumps(
        {"architecture": "amd64", "os": "linux", "config": image_config,
         "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}, sort_keys=True).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                           "size": config_size},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest,
                            "size": layer_size}]}
    manifest_digest, manifest_size = blob(json.dumps(manifest, sort_keys=True).encode())
    put("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
    put("index.json", json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
        "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": tag}}]}).encode())
    return manifest_digest


def build(path, tag="latest", config=None, files=None, with_busybox=True, hardlinks=False):
    """An OCI image archive (a tar of the layout) at path."""
    with tarfile.open(path, "w") as t:
        def put(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        return _image(put, tag, config, files, with_busybox, hardlinks)


def layout(path, tag="latest", config=None, files=None, with_busybox=True, hardlinks=False):
    """An OCI image layout directory at path (replaced if it exists)."""
    shutil.rmtree(path, ignore_errors=True)

    def put(name, data):
        os.makedirs(os.path.dirname(os.path.join(path, name)) or path, exist_ok=True)
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    return _image(put, tag, config, files, with_busybox, hardlinks)
