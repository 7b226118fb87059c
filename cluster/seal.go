package cluster

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The user-hash seed is what keeps clients from choosing user ids that collide (two
// users counted as one). With a Redis password, Redis holds it sealed (AES-GCM under a
// key derived from the password), so that an RDB file, an AOF, a replica or a MONITOR
// shows nothing usable: only a process that knows the password reads it. Without a
// password it is stored in hex: whoever reaches Redis then controls the cluster anyway.
//
// Sealing is deterministic (the nonce is a keyed hash of the seed, as in SIV modes): one
// seed under one password always gives the same text, which the join script compares.
// A password appears once per seed, so the nonce never repeats for different plaintexts.

// sealedPrefix starts a sealed seed: version 1 of the format, then hex of nonce,
// ciphertext and tag.
const sealedPrefix = "sealed1:"

// sealKeys derives the encryption and nonce keys from a password.
func sealKeys(password string) (enc, nonce [32]byte) {
	return sha256.Sum256([]byte("onemrc seed encryption key\x00" + password)),
		sha256.Sum256([]byte("onemrc seed nonce key\x00" + password))
}

func seedGCM(key [32]byte) cipher.AEAD {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

func seedBytes(s [2]uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[:8], s[0])
	binary.BigEndian.PutUint64(b[8:], s[1])
	return b
}

// sealSeed returns the seed as Redis stores it: sealed under password, or hex without.
func sealSeed(seed [2]uint64, password string) string {
	if password == "" {
		return encodeSeed(seed)
	}
	encKey, nonceKey := sealKeys(password)
	gcm := seedGCM(encKey)
	plain := seedBytes(seed)
	mac := hmac.New(sha256.New, nonceKey[:])
	mac.Write(plain)
	nonce := mac.Sum(nil)[:gcm.NonceSize()]
	return sealedPrefix + hex.EncodeToString(gcm.Seal(nonce, nonce, plain, []byte(keySeed)))
}

// Errors of openSeed.
var (
	errSeedSealed      = errors.New("cluster: the user-hash seed in redis is sealed under a password; give this node the cluster's password")
	errSeedOtherSealed = errors.New("cluster: the user-hash seed in redis is sealed under another password than this node's; after changing the password, give the previous one in " + PreviousPasswordEnv + " once, and the seed is sealed anew")
)

// PreviousPasswordEnv names the variable holding the cluster's previous Redis password,
// for the first start after a change: the seed sealed under it is opened and sealed anew
// under the current one.
const PreviousPasswordEnv = "ONEMRC_CLUSTER_PREVIOUS_PASSWORD"

// openSeed reads a stored seed: hex, or sealed under password or, failing that,
// previous. resealed says the text is not the one sealSeed(seed, password) gives (it is
// hex, or sealed under previous): the caller then stores that one.
func openSeed(text, password, previous string) (seed [2]uint64, resealed bool, err error) {
	if !strings.HasPrefix(text, sealedPrefix) {
		seed, err = decodeSeed(text)
		return seed, err == nil && password != "", err
	}
	if len(text) > 128 {
		return seed, false, errors.New("cluster: a sealed seed in redis longer than 128 bytes")
	}
	raw, err := hex.DecodeString(text[len(sealedPrefix):])
	for i, pw := range []string{password, previous} {
		if err != nil || pw == "" {
			continue
		}
		encKey, _ := sealKeys(pw)
		gcm := seedGCM(encKey)
		if len(raw) != gcm.NonceSize()+16+gcm.Overhead() {
			break
		}
		plain, oerr := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(keySeed))
		if oerr == nil {
			return [2]uint64{binary.BigEndian.Uint64(plain[:8]), binary.BigEndian.Uint64(plain[8:])}, i == 1, nil
		}
	}
	if err != nil {
		return seed, false, errors.New("cluster: a sealed seed in redis that is not hex")
	}
	if password == "" {
		return seed, false, errSeedSealed
	}
	return seed, false, errSeedOtherSealed
}

// resealScript replaces the seed KEYS[1] with ARGV[2] if it still holds ARGV[1].
var resealScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0
`)

// reseal stores the seed sealed under the current password in place of old.
func reseal(ctx context.Context, rdb redis.UniversalClient, old string, seed [2]uint64, password string) error {
	return resealScript.Run(ctx, rdb, []string{keySeed}, old, sealSeed(seed, password)).Err()
}
