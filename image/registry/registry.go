// Package registry asks an OCI distribution registry (docker.io, ghcr.io,
// one on 127.0.0.1 …) for an image: its manifest, for linux/ARCH when the
// tag names an index of several platforms, its config, and where each of
// its layers is. The layers themselves are read by the image store
// (image.Store.Pull), one by one.
//
// Shell twin, with curl (docker.io asks for a token first):
//
//	curl -s https://REGISTRY/v2/NAME/manifests/TAG \
//	     -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, …'
//	curl -s https://REGISTRY/v2/NAME/blobs/$CONFIG   # os, architecture, Env, Cmd, rootfs.diff_ids
//
// — see the OCI distribution spec (spec.md, "Pulling manifests"). HTTP,
// tokens and the choice in an index are go-containerregistry's: a
// well-kept library, doing what is no lesson here. It is the one package
// of kobako that speaks HTTP and TLS, and only the kobako-pull binary
// links it: the kobako binary, which every container's init is, stays
// small and quick to start.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kobako/kobako/image"
)

// Options tune Fetch.
type Options struct {
	Arch string // the platform's architecture, GOARCH's name (amd64, arm64 …)
	// Username and Password log in with HTTP basic auth (or the
	// registry's token service). Without them, the credentials docker
	// login saved (~/.docker/config.json) are used, or none.
	Username, Password string
	Insecure           bool // plain HTTP to any registry, not only to localhost and private addresses
}

// ParseRef checks a reference as docker does: "busybox" is
// docker.io/library/busybox:latest.
func ParseRef(ref string, insecure bool) (name.Reference, error) {
	var nameOpts []name.Option
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	parsed, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: use [REGISTRY/]NAME[:TAG|@sha256:DIGEST], like busybox:1.36 or 127.0.0.1:5000/tools/bash", ref)
	}
	return parsed, nil
}

// Fetch asks the registry for ref's manifest (for linux/Arch, in an index)
// and config, checks that the image is for linux/Arch, and says where its
// layers are.
func Fetch(ctx context.Context, ref name.Reference, opts Options) (*image.Remote, error) {
	auth := remote.WithAuthFromKeychain(authn.DefaultKeychain)
	if opts.Username != "" {
		auth = remote.WithAuth(&authn.Basic{Username: opts.Username, Password: opts.Password})
	}
	platform := v1.Platform{OS: "linux", Architecture: opts.Arch}
	img, err := remote.Image(ref, remote.WithContext(ctx), auth, remote.WithPlatform(platform), remote.WithUserAgent("kobako"))
	if err != nil {
		return nil, registryError(ref, err)
	}
	cfg, err := img.ConfigFile() // its digest is checked on the way
	if err != nil {
		return nil, registryError(ref, err)
	}
	// An image that is no index is taken as it is: say so if it is for
	// another machine, rather than fail with "exec format error" later.
	if cfg.OS != "linux" || cfg.Architecture != opts.Arch {
		return nil, fmt.Errorf("%s is an image for %s/%s, not linux/%s: pick another tag, or --platform linux/%s",
			ref, cfg.OS, cfg.Architecture, opts.Arch, cfg.Architecture)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, registryError(ref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, registryError(ref, err)
	}
	out := &image.Remote{Ref: ref.String(), Image: image.Image{
		// where it came from, pinned: docker.io/library/bash@sha256:…
		Arch: opts.Arch, Source: ref.Context().Name() + "@" + digest.String(),
		Cmd: cfg.Config.Cmd, Entrypoint: cfg.Config.Entrypoint, Env: cfg.Config.Env,
		WorkingDir: cfg.Config.WorkingDir, User: cfg.Config.User,
	}}
	for _, l := range layers {
		remoteLayer, err := describe(l)
		if err != nil {
			return nil, registryError(ref, err)
		}
		out.Layers = append(out.Layers, remoteLayer)
	}
	return out, nil
}

// describe is what the store needs of a layer: its digests (from the
// manifest and the config, both checked), its size, and its download.
func describe(l v1.Layer) (image.RemoteLayer, error) {
	digest, err := l.Digest()
	if err != nil {
		return image.RemoteLayer{}, err
	}
	diffID, err := l.DiffID()
	if err != nil {
		return image.RemoteLayer{}, err
	}
	size, err := l.Size()
	if err != nil {
		return image.RemoteLayer{}, err
	}
	return image.RemoteLayer{
		Digest: digest.String(), DiffID: diffID.String(), Size: size,
		// verified as it is read: go-containerregistry hashes the blob
		// and fails its last read if the digest is not the manifest's
		Open: func() (io.ReadCloser, error) {
			rc, err := l.Compressed()
			if err != nil {
				return nil, oneLine(err)
			}
			return rc, nil
		},
	}, nil
}

// registryError says in one line what went wrong with the registry, and
// what to do about it.
func registryError(ref name.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("pull %s: the registry refused us (%d): log in with --creds USER:PASSWORD", ref, terr.StatusCode)
		case http.StatusNotFound:
			return fmt.Errorf("pull %s: no such image or tag on %s", ref, ref.Context().RegistryStr())
		}
	}
	return fmt.Errorf("pull %s: %w", ref, oneLine(err))
}

// oneLine keeps an error to its first line: a registry's error body can
// be a page of HTML.
func oneLine(err error) error {
	msg, _, cut := strings.Cut(err.Error(), "\n")
	if !cut {
		return err
	}
	return errors.New(msg)
}
