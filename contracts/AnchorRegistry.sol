// SPDX-License-Identifier: Apache-2.0
pragma solidity =0.8.37;

/// @title AnchorRegistry
/// @notice Anchors the root of an append-only RFC 9162 Merkle log, one (treeSize, root) pair per call.
/// @dev Interface v1 (DESIGN §4.4). Roots live in storage (readable with `rootAt`) and in the `Anchored` event.
contract AnchorRegistry {
    /// @notice Deployer; can authorise submitters. It is always a submitter itself.
    address public owner;
    /// @notice Largest tree size anchored so far (0 before the first anchor). Packed with `owner` in one slot.
    uint64 public latestTreeSize;

    mapping(address account => bool allowed) private _submitters;
    mapping(uint64 treeSize => bytes32 root) private _roots;

    /// @notice A new tree head was anchored.
    event Anchored(uint64 indexed treeSize, bytes32 root);
    /// @notice The owner allowed or revoked a submitter.
    event SubmitterChanged(address indexed account, bool allowed);

    error NotOwner();
    error NotSubmitter();
    error EmptyRoot();
    error TreeSizeNotIncreasing(uint64 latest, uint64 given);
    error RootConflict(uint64 treeSize);

    constructor() {
        owner = msg.sender;
        _submitters[msg.sender] = true;
        emit SubmitterChanged(msg.sender, true);
    }

    /// @notice Records `root` as the log's root at `treeSize`.
    /// @dev Re-sending a pair that is already stored is a silent no-op (no event), so a retry after a
    ///      lost receipt succeeds. Reverts on a zero root, a size not above the latest one that is not
    ///      stored with this root, or a caller that is not a submitter.
    function anchor(uint64 treeSize, bytes32 root) external {
        if (root == bytes32(0)) revert EmptyRoot();
        // One cold SLOAD reads both owner and latestTreeSize; the owner skips the mapping lookup.
        address owner_ = owner;
        uint64 latest = latestTreeSize;
        if (msg.sender != owner_ && !_submitters[msg.sender]) revert NotSubmitter();
        if (treeSize <= latest) {
            bytes32 stored = _roots[treeSize];
            if (stored == root) return;
            if (stored != bytes32(0)) revert RootConflict(treeSize);
            revert TreeSizeNotIncreasing(latest, treeSize);
        }
        _roots[treeSize] = root;
        latestTreeSize = treeSize;
        emit Anchored(treeSize, root);
    }

    /// @notice Root anchored at `treeSize`, or zero if none was.
    function rootAt(uint64 treeSize) external view returns (bytes32) {
        return _roots[treeSize];
    }

    /// @notice Whether `account` may call `anchor` (the owner always may).
    function isSubmitter(address account) external view returns (bool) {
        return account == owner || _submitters[account];
    }

    /// @notice Allows or revokes `account` as a submitter. Owner only.
    function setSubmitter(address account, bool allowed) external {
        if (msg.sender != owner) revert NotOwner();
        _submitters[account] = allowed;
        emit SubmitterChanged(account, allowed);
    }
}
