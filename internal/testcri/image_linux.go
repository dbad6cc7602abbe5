// Copyright The netlink_exporter Authors
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package testcri

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// PauseImage is the name of the sandbox image that Start imports.
const PauseImage = "example.local/pause:1"

// pausePackage is the pause program, built for the image.
const pausePackage = "github.com/netlink-exporter/netlink_exporter/internal/testcri/pause"

// BuildPause builds the pause program, a static binary, into dir and
// returns its path. It needs the go command ("go test" puts its own
// first on PATH) and a working directory inside this module.
func BuildPause(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "pause")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pausePackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testcri: build the pause program: %w: %s", err, out)
	}
	return bin, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Layer returns a layer tarball holding one file, /pause, the binary at
// bin: the root filesystem of the pause image. docker import takes it as
// it is.
func Layer(bin string) ([]byte, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("testcri: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("testcri: %w", err)
	}
	if _, err := tw.Write(data); err != nil {
		return nil, fmt.Errorf("testcri: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("testcri: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteImage writes a docker-archive tarball of an image named ref whose
// one layer is Layer(bin) and whose entrypoint is /pause: the format that
// "ctr images import" reads.
func WriteImage(path, bin, ref string) error {
	layer, err := Layer(bin)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(layer)
	config, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       map[string]any{"Entrypoint": []string{"/pause"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}},
	})
	if err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	manifest, err := json.Marshal([]map[string]any{{
		"Config": "config.json", "RepoTags": []string{ref}, "Layers": []string{"layer.tar"},
	}})
	if err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	tw := tar.NewWriter(f)
	for _, file := range []struct {
		name string
		data []byte
	}{{"manifest.json", manifest}, {"config.json", config}, {"layer.tar", layer}} {
		if err = tw.WriteHeader(&tar.Header{Name: file.name, Mode: 0o644, Size: int64(len(file.data)), Typeflag: tar.TypeReg}); err != nil {
			break
		}
		if _, err = tw.Write(file.data); err != nil {
			break
		}
	}
	if err == nil {
		err = tw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("testcri: write %s: %w", path, err)
	}
	return nil
}
